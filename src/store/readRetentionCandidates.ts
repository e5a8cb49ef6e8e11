import { selectRows, type Queryable } from '../db/pool.js';
import { TENANT_POLICY, toRules, type RetentionRules } from './retentionPolicies.js';

/** A live session with the policy rows that apply to it, for the sweeper. */
export interface RetentionCandidate {
  tenant: string;
  sessionId: string;
  headVersion: number;
  firstVersion: number;
  /** The session's own policy row, and its tenant's, when there are. */
  sessionRules: RetentionRules | undefined;
  tenantRules: RetentionRules | undefined;
}

interface CandidateRow {
  tenant: string;
  session_id: string;
  head_version: number;
  base_version: number | null;
  s_row: number | null;
  s_versions: number | null;
  s_days: number | null;
  t_row: number | null;
  t_versions: number | null;
  t_days: number | null;
}

/**
 * One page of live sessions after (tenant, sessionId) in key order, optionally of one tenant or
 * one session, with their policy rows and bases. Keyset paging: each page is an index range read.
 */
export async function readRetentionCandidates(
  db: Queryable,
  after: { tenant: string; sessionId: string },
  filter: { tenant?: string; sessionId?: string },
  limit: number,
): Promise<RetentionCandidate[]> {
  const conditions = ['s.deleted_at IS NULL', '(s.tenant > ? OR (s.tenant = ? AND s.session_id > ?))'];
  const values: unknown[] = [TENANT_POLICY, after.tenant, after.tenant, after.sessionId];
  if (filter.tenant !== undefined) {
    conditions.push('s.tenant = ?');
    values.push(filter.tenant);
  }
  if (filter.sessionId !== undefined) {
    conditions.push('s.session_id = ?');
    values.push(filter.sessionId);
  }
  values.push(limit);
  const rows = await selectRows<CandidateRow>(
    db,
    `SELECT s.tenant, s.session_id, s.head_version, b.base_version,
            sp.updated_at IS NOT NULL AS s_row, sp.keep_versions AS s_versions, sp.keep_days AS s_days,
            tp.updated_at IS NOT NULL AS t_row, tp.keep_versions AS t_versions, tp.keep_days AS t_days
     FROM sessions s
     LEFT JOIN session_bases b ON b.tenant = s.tenant AND b.session_id = s.session_id
     LEFT JOIN retention_policies sp ON sp.tenant = s.tenant AND sp.session_id = s.session_id
     LEFT JOIN retention_policies tp ON tp.tenant = s.tenant AND tp.session_id = ?
     WHERE ${conditions.join(' AND ')}
     ORDER BY s.tenant, s.session_id LIMIT ?`,
    values,
  );
  return rows.map((row) => ({
    tenant: row.tenant,
    sessionId: row.session_id,
    headVersion: row.head_version,
    firstVersion: row.base_version ?? 1,
    sessionRules: row.s_row ? toRules(row.s_versions, row.s_days) : undefined,
    tenantRules: row.t_row ? toRules(row.t_versions, row.t_days) : undefined,
  }));
}

import { execute, selectRows, type Queryable } from '../db/pool.js';

/** How much history to keep; an absent rule is not applied, and no rule at all keeps everything. */
export interface RetentionRules {
  keepVersions?: number;
  keepDays?: number;
}

/** The session id of a tenant's own policy row: no session id can be empty. */
export const TENANT_POLICY = '';

/** The policy row of a tenant (sessionId TENANT_POLICY) or of one session, if there is one. */
export async function readRetentionPolicy(db: Queryable, tenant: string, sessionId: string): Promise<RetentionRules | undefined> {
  const rows = await selectRows<{ keep_versions: number | null; keep_days: number | null }>(
    db,
    'SELECT keep_versions, keep_days FROM retention_policies WHERE tenant = ? AND session_id = ?',
    [tenant, sessionId],
  );
  return rows[0] && toRules(rows[0].keep_versions, rows[0].keep_days);
}

export function toRules(keepVersions: number | null, keepDays: number | null): RetentionRules {
  return { ...(keepVersions !== null ? { keepVersions } : {}), ...(keepDays !== null ? { keepDays } : {}) };
}

export async function writeRetentionPolicy(db: Queryable, tenant: string, sessionId: string, rules: RetentionRules): Promise<void> {
  await execute(
    db,
    `INSERT INTO retention_policies (tenant, session_id, keep_versions, keep_days, updated_at) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6))
     ON DUPLICATE KEY UPDATE keep_versions = VALUES(keep_versions), keep_days = VALUES(keep_days), updated_at = VALUES(updated_at)`,
    [tenant, sessionId, rules.keepVersions ?? null, rules.keepDays ?? null],
  );
}

/** Removes a policy row; true if there was one. */
export async function deleteRetentionPolicy(db: Queryable, tenant: string, sessionId: string): Promise<boolean> {
  return (await execute(db, 'DELETE FROM retention_policies WHERE tenant = ? AND session_id = ?', [tenant, sessionId])).affectedRows > 0;
}

import { dbInstant } from '../core/time.js';
import { selectRows, type Queryable } from '../db/pool.js';

export interface SessionSummary {
  sessionId: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  stateBytes: number;
}

export interface ListSessionsQuery {
  prefix: string | undefined;
  /** Keyset cursor: only sessions ordered after this (updated_at, session_id). */
  after: { updatedAt: string; sessionId: string } | undefined;
  limit: number;
}

/** Live (not deleted) sessions of a tenant, most recently updated first. */
export async function listSessions(db: Queryable, tenant: string, query: ListSessionsQuery): Promise<SessionSummary[]> {
  const conditions = ['tenant = ?', 'deleted_at IS NULL'];
  const values: unknown[] = [tenant];
  if (query.prefix) {
    conditions.push("session_id LIKE ? ESCAPE '\\\\'");
    values.push(`${query.prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  if (query.after) {
    conditions.push('(updated_at < ? OR (updated_at = ? AND session_id < ?))');
    values.push(query.after.updatedAt, query.after.updatedAt, query.after.sessionId);
  }
  values.push(query.limit);
  const rows = await selectRows<{ session_id: string; head_version: number; created_at: string; updated_at: string; head_state_bytes: number }>(
    db,
    `SELECT session_id, head_version, created_at, updated_at, head_state_bytes FROM sessions
     WHERE ${conditions.join(' AND ')} ORDER BY updated_at DESC, session_id DESC LIMIT ?`,
    values,
  );
  return rows.map((row) => ({
    sessionId: row.session_id,
    version: row.head_version,
    createdAt: dbInstant(row.created_at),
    updatedAt: dbInstant(row.updated_at),
    stateBytes: row.head_state_bytes,
  }));
}

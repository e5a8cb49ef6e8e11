import { execute, type Queryable } from '../db/pool.js';

/** Marks the session deleted; its rows stay (history is never rewritten) but it answers 410. */
export async function tombstoneSession(db: Queryable, tenant: string, sessionId: string, deletedAt: string): Promise<void> {
  await execute(db, 'UPDATE sessions SET deleted_at = ? WHERE tenant = ? AND session_id = ? AND deleted_at IS NULL', [
    deletedAt,
    tenant,
    sessionId,
  ]);
}

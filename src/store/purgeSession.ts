import { execute, type Queryable } from '../db/pool.js';

/** Removes every row of the session, for erasure requests; the id becomes unknown and free. */
export async function purgeSession(db: Queryable, tenant: string, sessionId: string): Promise<void> {
  for (const table of ['events', 'checkpoints', 'idempotency_keys', 'sessions']) {
    await execute(db, `DELETE FROM ${table} WHERE tenant = ? AND session_id = ?`, [tenant, sessionId]);
  }
}

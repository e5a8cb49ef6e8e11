import { execute, type Queryable } from '../db/pool.js';

/** Removes every row of the session, for erasure requests; the id becomes unknown and free. */
export async function purgeSession(db: Queryable, tenant: string, sessionId: string): Promise<void> {
  // session_bases and the session's own retention policy (issue 11) go with it: a new session under
  // the id starts at version 1, under its tenant's policy.
  for (const table of ['events', 'checkpoints', 'idempotency_keys', 'session_bases', 'retention_policies', 'sessions']) {
    await execute(db, `DELETE FROM ${table} WHERE tenant = ? AND session_id = ?`, [tenant, sessionId]);
  }
}

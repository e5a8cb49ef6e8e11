import { execute, type Queryable } from '../db/pool.js';

export async function deleteIdempotencyRecord(db: Queryable, tenant: string, sessionId: string, key: string): Promise<void> {
  await execute(db, 'DELETE FROM idempotency_keys WHERE tenant = ? AND session_id = ? AND idempotency_key = ?', [tenant, sessionId, key]);
}

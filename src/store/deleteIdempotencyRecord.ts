import type { Statement } from '../db/batch.js';
import { execute, type Queryable } from '../db/pool.js';

export async function deleteIdempotencyRecord(db: Queryable, tenant: string, sessionId: string, key: string): Promise<void> {
  const { sql, values } = deleteIdempotencyRecordStatement(tenant, sessionId, key);
  await execute(db, sql, values);
}

/** deleteIdempotencyRecord as a statement, to be sent with others (src/db/batch.ts). */
export function deleteIdempotencyRecordStatement(tenant: string, sessionId: string, key: string): Statement {
  return { sql: 'DELETE FROM idempotency_keys WHERE tenant = ? AND session_id = ? AND idempotency_key = ?', values: [tenant, sessionId, key] };
}

import type { Statement } from '../db/batch.js';
import { execute, type Queryable } from '../db/pool.js';
import type { IdempotencyRecord } from './readIdempotencyRecord.js';

export interface NewIdempotencyRecord extends IdempotencyRecord {
  tenant: string;
  sessionId: string;
  key: string;
  createdAt: string;
}

export async function writeIdempotencyRecord(db: Queryable, record: NewIdempotencyRecord): Promise<void> {
  const { sql, values } = writeIdempotencyRecordStatement(record);
  await execute(db, sql, values);
}

/** writeIdempotencyRecord as a statement, to be sent with others (src/db/batch.ts). */
export function writeIdempotencyRecordStatement(record: NewIdempotencyRecord): Statement {
  return {
    sql: `INSERT INTO idempotency_keys (tenant, session_id, idempotency_key, request_hash, status, response, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    values: [record.tenant, record.sessionId, record.key, record.requestHash, record.status, record.response, record.createdAt],
  };
}

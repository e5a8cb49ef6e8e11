import { execute, type Queryable } from '../db/pool.js';
import type { IdempotencyRecord } from './readIdempotencyRecord.js';

export interface NewIdempotencyRecord extends IdempotencyRecord {
  tenant: string;
  sessionId: string;
  key: string;
  createdAt: string;
}

export async function writeIdempotencyRecord(db: Queryable, record: NewIdempotencyRecord): Promise<void> {
  await execute(
    db,
    `INSERT INTO idempotency_keys (tenant, session_id, idempotency_key, request_hash, status, response, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [record.tenant, record.sessionId, record.key, record.requestHash, record.status, record.response, record.createdAt],
  );
}

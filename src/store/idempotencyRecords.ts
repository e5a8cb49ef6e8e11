import { execute, selectRows, type Queryable } from '../db/pool.js';

export interface IdempotencyRecord {
  requestHash: Buffer;
  status: number;
  response: string;
}

export async function readIdempotencyRecord(
  db: Queryable,
  tenant: string,
  sessionId: string,
  key: string,
): Promise<IdempotencyRecord | undefined> {
  const rows = await selectRows<{ request_hash: Buffer; status: number; response: string }>(
    db,
    'SELECT request_hash, status, response FROM idempotency_keys WHERE tenant = ? AND session_id = ? AND idempotency_key = ?',
    [tenant, sessionId, key],
  );
  const row = rows[0];
  return row && { requestHash: row.request_hash, status: row.status, response: row.response };
}

export async function writeIdempotencyRecord(
  db: Queryable,
  tenant: string,
  sessionId: string,
  key: string,
  record: IdempotencyRecord,
  createdAt: string,
): Promise<void> {
  await execute(
    db,
    `INSERT INTO idempotency_keys (tenant, session_id, idempotency_key, request_hash, status, response, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [tenant, sessionId, key, record.requestHash, record.status, record.response, createdAt],
  );
}

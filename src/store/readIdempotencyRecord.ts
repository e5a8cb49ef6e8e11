import type { Statement } from '../db/batch.js';
import { selectRows, type Queryable } from '../db/pool.js';
import type { DbInstant } from '../core/time.js';

/** The first answer to a write sent with an Idempotency-Key, and what identified that write. */
export interface IdempotencyRecord {
  requestHash: Buffer;
  /** The HTTP status the client got. */
  status: number;
  /** The body the client got, exactly as sent ('' for a 204). */
  response: string;
}

/**
 * The record of `key`, and whether it is past its window: written at or before `now` minus
 * `ttlSeconds` (the test the purge applies too, see deleteExpiredIdempotencyRecords.ts).
 */
export async function readIdempotencyRecord(
  db: Queryable,
  tenant: string,
  sessionId: string,
  key: string,
  expiry: { now: DbInstant; ttlSeconds: number },
): Promise<(IdempotencyRecord & { expired: boolean }) | undefined> {
  const rows = await selectRows<{ request_hash: Buffer; status: number; response: string; expired: number }>(
    db,
    `SELECT request_hash, status, response, created_at <= CAST(? AS DATETIME(6)) - INTERVAL ? SECOND AS expired
     FROM idempotency_keys WHERE tenant = ? AND session_id = ? AND idempotency_key = ?`,
    [expiry.now, expiry.ttlSeconds, tenant, sessionId, key],
  );
  const row = rows[0];
  return row && { requestHash: row.request_hash, status: row.status, response: row.response, expired: Number(row.expired) === 1 };
}

type IdempotencyRecordRow = { request_hash: Buffer; status: number; response: string; expired: number };

/**
 * readIdempotencyRecord as a statement, to be sent with others (src/db/batch.ts): the window ends
 * `ttlSeconds` before the database clock as the statement runs (the lock's clock, when it is sent
 * just after the lock). Read its rows with `toIdempotencyRecord`.
 */
export function readIdempotencyRecordStatement(tenant: string, sessionId: string, key: string, ttlSeconds: number): Statement {
  return {
    sql: `SELECT request_hash, status, response, created_at <= UTC_TIMESTAMP(6) - INTERVAL ? SECOND AS expired
     FROM idempotency_keys WHERE tenant = ? AND session_id = ? AND idempotency_key = ?`,
    values: [ttlSeconds, tenant, sessionId, key],
  };
}

export function toIdempotencyRecord(rows: unknown): (IdempotencyRecord & { expired: boolean }) | undefined {
  const row = (rows as IdempotencyRecordRow[])[0];
  return row && { requestHash: row.request_hash, status: Number(row.status), response: row.response, expired: Number(row.expired) === 1 };
}

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

import { selectRows, type Queryable } from '../db/pool.js';

/** The first answer to a write sent with an Idempotency-Key, and what identified that write. */
export interface IdempotencyRecord {
  requestHash: Buffer;
  /** The HTTP status the client got. */
  status: number;
  /** The body the client got, exactly as sent ('' for a 204). */
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

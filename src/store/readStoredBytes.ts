import { selectRows, type Queryable } from '../db/pool.js';

/**
 * What a session takes in the database: the bytes of its stored patches and of its checkpoints
 * (its history), and of its Idempotency-Key records (key, request hash, status, answer, time),
 * which last IDEMPOTENCY_TTL_SECONDS.
 */
export async function readStoredBytes(
  db: Queryable,
  tenant: string,
  sessionId: string,
): Promise<{ eventBytes: number; checkpointBytes: number; idempotencyRecords: number; idempotencyBytes: number }> {
  const [row] = await selectRows<{ event_bytes: number; checkpoint_bytes: number; idempotency_records: number; idempotency_bytes: number }>(
    db,
    `SELECT
       (SELECT COALESCE(SUM(LENGTH(patch)), 0) FROM events WHERE tenant = ? AND session_id = ?) AS event_bytes,
       (SELECT COALESCE(SUM(LENGTH(body)), 0) FROM checkpoints WHERE tenant = ? AND session_id = ?) AS checkpoint_bytes,
       (SELECT COUNT(*) FROM idempotency_keys WHERE tenant = ? AND session_id = ?) AS idempotency_records,
       -- status SMALLINT: 2 bytes; created_at DATETIME(6): 8.
       (SELECT COALESCE(SUM(LENGTH(idempotency_key) + LENGTH(request_hash) + 2 + LENGTH(response) + 8), 0)
          FROM idempotency_keys WHERE tenant = ? AND session_id = ?) AS idempotency_bytes`,
    [tenant, sessionId, tenant, sessionId, tenant, sessionId, tenant, sessionId],
  );
  return {
    eventBytes: Number(row!.event_bytes),
    checkpointBytes: Number(row!.checkpoint_bytes),
    idempotencyRecords: Number(row!.idempotency_records),
    idempotencyBytes: Number(row!.idempotency_bytes),
  };
}

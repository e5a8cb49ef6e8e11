import { selectRows, type Queryable } from '../db/pool.js';

/** What a session's history takes in the database: the bytes of its stored patches and of its checkpoints. */
export async function readStoredBytes(db: Queryable, tenant: string, sessionId: string): Promise<{ eventBytes: number; checkpointBytes: number }> {
  const [row] = await selectRows<{ event_bytes: number; checkpoint_bytes: number }>(
    db,
    `SELECT
       (SELECT COALESCE(SUM(LENGTH(patch)), 0) FROM events WHERE tenant = ? AND session_id = ?) AS event_bytes,
       (SELECT COALESCE(SUM(LENGTH(body)), 0) FROM checkpoints WHERE tenant = ? AND session_id = ?) AS checkpoint_bytes`,
    [tenant, sessionId, tenant, sessionId],
  );
  return { eventBytes: Number(row!.event_bytes), checkpointBytes: Number(row!.checkpoint_bytes) };
}

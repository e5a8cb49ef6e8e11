import { selectRows, type Queryable } from '../db/pool.js';
import type { StoredCheckpoint } from './readNearestCheckpoint.js';

/** The checkpoints with versions `from`..`to`, in version order. */
export async function readCheckpointRange(db: Queryable, tenant: string, sessionId: string, from: number, to: number): Promise<StoredCheckpoint[]> {
  return selectRows<StoredCheckpoint>(
    db,
    `SELECT version, encoding, body FROM checkpoints WHERE tenant = ? AND session_id = ? AND version BETWEEN ? AND ?
     ORDER BY version`,
    [tenant, sessionId, from, to],
  );
}

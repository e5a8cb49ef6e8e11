import { selectRows, type Queryable } from '../db/pool.js';
import type { EncodedBody } from './codec.js';

export interface StoredCheckpoint extends EncodedBody {
  version: number;
}

/** The checkpoint with the highest version at or below `version`: where a replay starts. */
export async function readNearestCheckpoint(
  db: Queryable,
  tenant: string,
  sessionId: string,
  version: number,
): Promise<StoredCheckpoint | undefined> {
  const rows = await selectRows<{ version: number; encoding: number; body: Buffer }>(
    db,
    `SELECT version, encoding, body FROM checkpoints WHERE tenant = ? AND session_id = ? AND version <= ?
     ORDER BY version DESC LIMIT 1`,
    [tenant, sessionId, version],
  );
  return rows[0];
}

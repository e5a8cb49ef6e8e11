import { execute, type Queryable } from '../db/pool.js';
import type { EncodedBody } from './codec.js';

export interface NewCheckpoint {
  tenant: string;
  sessionId: string;
  version: number;
  /** The whole state at that version, encoded. */
  state: EncodedBody;
}

export async function writeCheckpoint(db: Queryable, checkpoint: NewCheckpoint): Promise<void> {
  const { tenant, sessionId, version, state } = checkpoint;
  await execute(
    db,
    'INSERT INTO checkpoints (tenant, session_id, version, encoding, body) VALUES (?, ?, ?, ?, ?)',
    [tenant, sessionId, version, state.encoding, state.body],
  );
}

import type { Statement } from '../db/batch.js';
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
  const { sql, values } = writeCheckpointStatement(checkpoint);
  await execute(db, sql, values);
}

/** writeCheckpoint as a statement, to be sent with others (src/db/batch.ts). */
export function writeCheckpointStatement(checkpoint: NewCheckpoint): Statement {
  const { tenant, sessionId, version, state } = checkpoint;
  return {
    sql: 'INSERT INTO checkpoints (tenant, session_id, version, encoding, body) VALUES (?, ?, ?, ?, ?)',
    values: [tenant, sessionId, version, state.encoding, state.body],
  };
}

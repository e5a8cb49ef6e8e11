import { execute, type Queryable } from '../db/pool.js';
import type { EncodedBody } from './codec.js';

export async function writeCheckpoint(
  db: Queryable,
  tenant: string,
  sessionId: string,
  version: number,
  state: EncodedBody,
): Promise<void> {
  await execute(
    db,
    'INSERT INTO checkpoints (tenant, session_id, version, encoding, body) VALUES (?, ?, ?, ?, ?)',
    [tenant, sessionId, version, state.encoding, state.body],
  );
}

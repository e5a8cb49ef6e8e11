import { execute, type Queryable } from '../db/pool.js';
import type { SessionHeadWrite } from './sessionHead.js';

/** Creates the head row of a new session; a concurrent creator makes this fail with 1062. */
export async function insertSessionHead(db: Queryable, head: SessionHeadWrite): Promise<void> {
  await execute(
    db,
    `INSERT INTO sessions (tenant, session_id, head_version, head_state_hash, head_chain_hash, head_state_bytes,
       checkpoint_version, patch_bytes_since_checkpoint, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      head.tenant, head.sessionId, head.headVersion, head.headStateHash, head.headChainHash, head.headStateBytes,
      head.checkpointVersion, head.patchBytesSinceCheckpoint, head.updatedAt, head.updatedAt,
    ],
  );
}

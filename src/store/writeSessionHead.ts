import { execute, type Queryable } from '../db/pool.js';

export interface SessionHeadWrite {
  tenant: string;
  sessionId: string;
  headVersion: number;
  headStateHash: Buffer;
  headChainHash: Buffer;
  headStateBytes: number;
  checkpointVersion: number;
  patchBytesSinceCheckpoint: number;
  updatedAt: string;
}

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

/**
 * Moves the head of an existing session forward. The `head_version = expected` condition is a
 * second guard behind the row lock: an update that finds another head changes nothing and throws.
 */
export async function advanceSessionHead(db: Queryable, head: SessionHeadWrite, expectedVersion: number): Promise<void> {
  const result = await execute(
    db,
    `UPDATE sessions SET head_version = ?, head_state_hash = ?, head_chain_hash = ?, head_state_bytes = ?,
       checkpoint_version = ?, patch_bytes_since_checkpoint = ?, updated_at = ?
     WHERE tenant = ? AND session_id = ? AND head_version = ?`,
    [
      head.headVersion, head.headStateHash, head.headChainHash, head.headStateBytes,
      head.checkpointVersion, head.patchBytesSinceCheckpoint, head.updatedAt,
      head.tenant, head.sessionId, expectedVersion,
    ],
  );
  if (result.affectedRows !== 1) {
    throw new Error(`session head ${head.tenant}/${head.sessionId} moved past version ${expectedVersion} under its lock`);
  }
}

import type { Statement } from '../db/batch.js';
import { execute, type Queryable } from '../db/pool.js';
import type { SessionHeadWrite } from './sessionHead.js';

/** Creates the head row of a new session; a concurrent creator makes this fail with 1062. */
export async function insertSessionHead(db: Queryable, head: SessionHeadWrite): Promise<void> {
  const { sql, values } = insertSessionHeadStatement(head);
  await execute(db, sql, values);
}

/** insertSessionHead as a statement, to be sent with others (src/db/batch.ts). */
export function insertSessionHeadStatement(head: SessionHeadWrite): Statement {
  return {
    sql: `INSERT INTO sessions (tenant, session_id, head_version, head_state_hash, head_chain_hash, head_state_bytes,
       checkpoint_version, patch_bytes_since_checkpoint, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    values: [
      head.tenant, head.sessionId, head.headVersion, head.headStateHash, head.headChainHash, head.headStateBytes,
      head.checkpointVersion, head.patchBytesSinceCheckpoint, head.updatedAt, head.updatedAt,
    ],
  };
}

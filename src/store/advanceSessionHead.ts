import type { Statement } from '../db/batch.js';
import { execute, type Queryable } from '../db/pool.js';
import type { SessionHeadWrite } from './sessionHead.js';

/**
 * Moves the head of an existing session forward. The `head_version = expected` condition is a
 * second guard behind the row lock: an update that finds another head changes nothing and throws.
 */
export async function advanceSessionHead(db: Queryable, head: SessionHeadWrite, expectedVersion: number): Promise<void> {
  const { sql, values } = advanceSessionHeadStatement(head, expectedVersion);
  const result = await execute(db, sql, values);
  if (result.affectedRows !== 1) {
    throw new Error(`session head ${head.tenant}/${head.sessionId} moved past version ${expectedVersion} under its lock`);
  }
}

/**
 * advanceSessionHead as a statement, to be sent with others (src/db/batch.ts). Sent one by one
 * (on Galera), a head that moved is a RetryTransaction before the COMMIT. Sent with the event's
 * INSERT and the COMMIT in one batch, its affected rows are known only after the commit; there the
 * guard is the events primary key under the head row's lock: a head that moved past
 * `expectedVersion` has an event at `expectedVersion + 1`, so the new event's INSERT fails and
 * nothing after it runs.
 */
export function advanceSessionHeadStatement(head: SessionHeadWrite, expectedVersion: number): Statement {
  return {
    sql: `UPDATE sessions SET head_version = ?, head_state_hash = ?, head_chain_hash = ?, head_state_bytes = ?,
       checkpoint_version = ?, patch_bytes_since_checkpoint = ?, updated_at = ?
     WHERE tenant = ? AND session_id = ? AND head_version = ?`,
    values: [
      head.headVersion, head.headStateHash, head.headChainHash, head.headStateBytes,
      head.checkpointVersion, head.patchBytesSinceCheckpoint, head.updatedAt,
      head.tenant, head.sessionId, expectedVersion,
    ],
    changesOneRow: true,
  };
}

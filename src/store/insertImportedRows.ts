import { execute, type Queryable } from '../db/pool.js';
import type { NewEvent } from './appendEvent.js';
import type { NewCheckpoint } from './writeCheckpoint.js';
import type { SessionHeadWrite } from './sessionHead.js';

/** Inserts many events in one statement (an import's batch). */
export async function insertEvents(db: Queryable, events: NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  await execute(
    db,
    `INSERT INTO events (tenant, session_id, version, kind, patch, patch_encoding, ops, patch_bytes, state_bytes,
       state_hash, prev_hash, created_at, message, author, source_session_id, source_version, labels)
     VALUES ${events.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    events.flatMap((event) => [
      event.tenant, event.sessionId, event.version, event.kind,
      event.patch?.body ?? null, event.patch?.encoding ?? 0,
      event.ops, event.patchBytes, event.stateBytes, event.stateHash, event.prevHash, event.createdAt,
      event.message ?? null, event.author ?? null, event.sourceSessionId ?? null, event.sourceVersion ?? null,
      event.labels === undefined ? null : JSON.stringify(event.labels),
    ]),
  );
}

export async function insertCheckpoints(db: Queryable, checkpoints: NewCheckpoint[]): Promise<void> {
  if (checkpoints.length === 0) return;
  await execute(
    db,
    `INSERT INTO checkpoints (tenant, session_id, version, encoding, body) VALUES ${checkpoints.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
    checkpoints.flatMap((c) => [c.tenant, c.sessionId, c.version, c.state.encoding, c.state.body]),
  );
}

/** The head row of an imported session, once all its versions are in: its creation time is the file's. */
export async function completeImportedHead(db: Queryable, head: SessionHeadWrite & { createdAt: string }): Promise<void> {
  await execute(
    db,
    `UPDATE sessions SET head_version = ?, head_state_hash = ?, head_chain_hash = ?, head_state_bytes = ?, checkpoint_version = ?,
       patch_bytes_since_checkpoint = ?, created_at = ?, updated_at = ?
     WHERE tenant = ? AND session_id = ?`,
    [
      head.headVersion, head.headStateHash, head.headChainHash, head.headStateBytes, head.checkpointVersion,
      head.patchBytesSinceCheckpoint, head.createdAt, head.updatedAt, head.tenant, head.sessionId,
    ],
  );
}

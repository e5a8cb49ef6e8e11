import { dbInstant } from '../core/time.js';
import type { EventKind } from './appendEvent.js';

/** What history shows of an event: never its patch or a state body. */
export interface EventMetadata {
  version: number;
  kind: EventKind;
  ops: number;
  patchBytes: number;
  stateBytes: number;
  stateHash: Buffer;
  prevHash: Buffer;
  createdAt: string;
  message: string | null;
  author: string | null;
  sourceSessionId: string | null;
  sourceVersion: number | null;
  /** True when this version is stored whole (as a checkpoint) instead of as a patch. */
  storedWhole: boolean;
}

export interface EventMetadataRow {
  version: number;
  kind: EventKind;
  ops: number;
  patch_bytes: number;
  state_bytes: number;
  state_hash: Buffer;
  prev_hash: Buffer;
  created_at: string;
  message: string | null;
  author: string | null;
  source_session_id: string | null;
  source_version: number | null;
  stored_whole: number;
}

export const EVENT_METADATA_COLUMNS = `version, kind, ops, patch_bytes, state_bytes, state_hash, prev_hash, created_at,
  message, author, source_session_id, source_version, (patch IS NULL) AS stored_whole`;

export function toEventMetadata(row: EventMetadataRow): EventMetadata {
  return {
    version: row.version,
    kind: row.kind,
    ops: row.ops,
    patchBytes: row.patch_bytes,
    stateBytes: row.state_bytes,
    stateHash: row.state_hash,
    prevHash: row.prev_hash,
    createdAt: dbInstant(row.created_at),
    message: row.message,
    author: row.author,
    sourceSessionId: row.source_session_id,
    sourceVersion: row.source_version,
    storedWhole: Boolean(row.stored_whole),
  };
}

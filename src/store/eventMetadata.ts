/** The events table: its rows as the reads select them, mapped to EventMetadata and StoredEvent. */
import { dbInstant } from '../core/time.js';
import type { EncodedBody } from './codec.js';

export type EventKind = 'save' | 'patch' | 'restore' | 'fork';

/** What every event records about its version, as written and as read. */
export interface EventFigures {
  version: number;
  kind: EventKind;
  ops: number;
  patchBytes: number;
  stateBytes: number;
  stateHash: Buffer;
  prevHash: Buffer;
  createdAt: string;
}

/** What history shows of an event: never its patch or a state body. */
export interface EventMetadata extends EventFigures {
  message: string | null;
  author: string | null;
  sourceSessionId: string | null;
  sourceVersion: number | null;
  /** True when this version is stored whole (as a checkpoint) instead of as a patch. */
  storedWhole: boolean;
  /** The labels it was written with (`?labels=`), or null. */
  labels: Labels | null;
}

/** A version's labels: names to strings (rules in openapi.yaml, `Labels`). */
export type Labels = Record<string, string>;

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
  /** JSON text, or the object the driver already parsed (MariaDB marks JSON columns in its metadata). */
  labels: string | Labels | null;
}

export const EVENT_METADATA_COLUMNS = `version, kind, ops, patch_bytes, state_bytes, state_hash, prev_hash, created_at,
  message, author, source_session_id, source_version, (patch IS NULL) AS stored_whole, labels`;

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
    labels: typeof row.labels === 'string' ? (JSON.parse(row.labels) as Labels) : row.labels,
  };
}

export interface StoredEvent extends EventMetadata {
  /** The encoded patch; undefined when the version is stored whole (see checkpoints). */
  patch: EncodedBody | undefined;
}

/** The patch columns of an event row. */
export interface PatchRow {
  patch: Buffer | null;
  patch_encoding: number;
}

export type StoredEventRow = EventMetadataRow & PatchRow;

export const STORED_EVENT_COLUMNS = `${EVENT_METADATA_COLUMNS}, patch, patch_encoding`;

/** The stored patch of an event row, or undefined when the version is stored whole (or the read left it out). */
export function storedPatch(row: PatchRow): EncodedBody | undefined {
  return row.patch ? { encoding: row.patch_encoding, body: row.patch } : undefined;
}

export function toStoredEvent(row: StoredEventRow): StoredEvent {
  return { ...toEventMetadata(row), patch: storedPatch(row) };
}

import { selectRows, type Queryable } from '../db/pool.js';
import { EVENT_METADATA_COLUMNS, toEventMetadata, type EventMetadata, type EventMetadataRow } from './eventMetadata.js';

export interface StoredEvent extends EventMetadata {
  /** The encoded patch; undefined when the version is stored whole (see checkpoints). */
  patch: { encoding: number; body: Buffer } | undefined;
}

/** One event with its stored patch. */
export async function readEvent(db: Queryable, tenant: string, sessionId: string, version: number): Promise<StoredEvent | undefined> {
  const rows = await selectRows<EventMetadataRow & { patch: Buffer | null; patch_encoding: number }>(
    db,
    `SELECT ${EVENT_METADATA_COLUMNS}, patch, patch_encoding FROM events
     WHERE tenant = ? AND session_id = ? AND version = ?`,
    [tenant, sessionId, version],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { ...toEventMetadata(row), patch: row.patch ? { encoding: row.patch_encoding, body: row.patch } : undefined };
}

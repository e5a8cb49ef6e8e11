import { selectRows, type Queryable } from '../db/pool.js';
import { EVENT_METADATA_COLUMNS, toEventMetadata, type EventMetadataRow } from './eventMetadata.js';
import type { StoredEvent } from './readEvent.js';

/** Events `from`..`to` (both included) with their patches, in version order. */
export async function readEventRange(db: Queryable, tenant: string, sessionId: string, from: number, to: number): Promise<StoredEvent[]> {
  const rows = await selectRows<EventMetadataRow & { patch: Buffer | null; patch_encoding: number }>(
    db,
    `SELECT ${EVENT_METADATA_COLUMNS}, patch, patch_encoding FROM events
     WHERE tenant = ? AND session_id = ? AND version BETWEEN ? AND ? ORDER BY version`,
    [tenant, sessionId, from, to],
  );
  return rows.map((row) => ({
    ...toEventMetadata(row),
    patch: row.patch ? { encoding: row.patch_encoding, body: row.patch } : undefined,
  }));
}

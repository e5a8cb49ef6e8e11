import { selectRows, type Queryable } from '../db/pool.js';
import { STORED_EVENT_COLUMNS, toStoredEvent, type StoredEvent, type StoredEventRow } from './eventMetadata.js';

/** Events `from`..`to` (both included) with their patches, in version order. */
export async function readEventRange(db: Queryable, tenant: string, sessionId: string, from: number, to: number): Promise<StoredEvent[]> {
  const rows = await selectRows<StoredEventRow>(
    db,
    `SELECT ${STORED_EVENT_COLUMNS} FROM events WHERE tenant = ? AND session_id = ? AND version BETWEEN ? AND ? ORDER BY version`,
    [tenant, sessionId, from, to],
  );
  return rows.map(toStoredEvent);
}

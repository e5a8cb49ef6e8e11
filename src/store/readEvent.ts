import { selectRows, type Queryable } from '../db/pool.js';
import { STORED_EVENT_COLUMNS, toStoredEvent, type StoredEvent, type StoredEventRow } from './eventMetadata.js';

/** One event with its stored patch. */
export async function readEvent(db: Queryable, tenant: string, sessionId: string, version: number): Promise<StoredEvent | undefined> {
  const rows = await selectRows<StoredEventRow>(
    db,
    `SELECT ${STORED_EVENT_COLUMNS} FROM events WHERE tenant = ? AND session_id = ? AND version = ?`,
    [tenant, sessionId, version],
  );
  return rows[0] && toStoredEvent(rows[0]);
}

import { selectRows, type Queryable } from '../db/pool.js';
import { EVENT_METADATA_COLUMNS, toEventMetadata, type EventMetadata, type EventMetadataRow, type Labels } from './eventMetadata.js';

export interface HistoryQuery {
  /** Only versions below this one. */
  before: number | undefined;
  /** Only events saved at or after this instant. */
  from: string | undefined;
  /** Only events saved at or before this instant. */
  to: string | undefined;
  limit: number;
  /** Only events carrying every one of these labels with exactly these values. */
  labels?: Labels | undefined;
}

/** Event metadata, newest first; the patch and state bodies are never read. */
export async function readHistory(db: Queryable, tenant: string, sessionId: string, query: HistoryQuery): Promise<EventMetadata[]> {
  const conditions = ['tenant = ?', 'session_id = ?'];
  const values: unknown[] = [tenant, sessionId];
  if (query.before !== undefined) {
    conditions.push('version < ?');
    values.push(query.before);
  }
  if (query.from !== undefined) {
    conditions.push('created_at >= ?');
    values.push(query.from);
  }
  if (query.to !== undefined) {
    conditions.push('created_at <= ?');
    values.push(query.to);
  }
  for (const [name, value] of Object.entries(query.labels ?? {})) {
    // Label names are [A-Za-z0-9_.:-] (checked on the way in), so the quoted path needs no escaping.
    conditions.push('JSON_VALUE(labels, ?) = ?');
    values.push(`$."${name}"`, value);
  }
  values.push(query.limit);
  const rows = await selectRows<EventMetadataRow>(
    db,
    `SELECT ${EVENT_METADATA_COLUMNS} FROM events WHERE ${conditions.join(' AND ')} ORDER BY version DESC LIMIT ?`,
    values,
  );
  return rows.map(toEventMetadata);
}

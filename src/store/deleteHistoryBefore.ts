import { execute, selectRows, type Queryable } from '../db/pool.js';

/**
 * Deletes up to `limit` of the session's events (or checkpoints) below `version`, oldest first;
 * returns how many. Each call is its own short statement, so a compaction never holds many rows
 * (or the head row) locked at once and saves to the session go on meanwhile.
 */
export async function deleteHistoryBefore(
  db: Queryable,
  table: 'events' | 'checkpoints',
  tenant: string,
  sessionId: string,
  version: number,
  limit: number,
): Promise<number> {
  const result = await execute(
    db,
    `DELETE FROM ${table} WHERE tenant = ? AND session_id = ? AND version < ? ORDER BY version LIMIT ?`,
    [tenant, sessionId, version, limit],
  );
  return result.affectedRows;
}

/** What the events and checkpoints below `version` hold: rows and stored bytes (patches, checkpoint bodies). */
export async function measureHistoryBefore(
  db: Queryable,
  tenant: string,
  sessionId: string,
  version: number,
): Promise<{ events: number; checkpoints: number; bytes: number }> {
  const [row] = await selectRows<{ events: number; event_bytes: number; checkpoints: number; checkpoint_bytes: number }>(
    db,
    `SELECT
       (SELECT COUNT(*) FROM events WHERE tenant = ? AND session_id = ? AND version < ?) AS events,
       (SELECT COALESCE(SUM(LENGTH(patch)), 0) FROM events WHERE tenant = ? AND session_id = ? AND version < ?) AS event_bytes,
       (SELECT COUNT(*) FROM checkpoints WHERE tenant = ? AND session_id = ? AND version < ?) AS checkpoints,
       (SELECT COALESCE(SUM(LENGTH(body)), 0) FROM checkpoints WHERE tenant = ? AND session_id = ? AND version < ?) AS checkpoint_bytes`,
    [tenant, sessionId, version, tenant, sessionId, version, tenant, sessionId, version, tenant, sessionId, version],
  );
  return {
    events: Number(row!.events),
    checkpoints: Number(row!.checkpoints),
    bytes: Number(row!.event_bytes) + Number(row!.checkpoint_bytes),
  };
}

import { dbInstant } from '../core/time.js';
import type { Statement } from '../db/batch.js';
import { selectRows, type Queryable } from '../db/pool.js';
import type { EventPatch } from './readEventPatches.js';
import { storedPatch, type PatchRow } from './eventMetadata.js';

interface EventPatchRow extends PatchRow {
  version: number;
  state_hash: Buffer;
  created_at: string;
}

/**
 * The events from the nearest checkpoint at or below `version` up to `version`, in version order,
 * in one statement (the first is the checkpoint's own event, whose patch is not read: its state is
 * the checkpoint). Empty when the session has no checkpoint at or below `version`.
 */
export async function readEventsFromCheckpoint(db: Queryable, tenant: string, sessionId: string, version: number): Promise<EventPatch[]> {
  const { sql, values } = readEventsFromCheckpointStatement(tenant, sessionId, version);
  return toEventPatches(await selectRows<EventPatchRow>(db, sql, values));
}

/** readEventsFromCheckpoint as a statement, to be sent with others (src/db/batch.ts); read its rows with `toEventPatches`. */
export function readEventsFromCheckpointStatement(tenant: string, sessionId: string, version: number): Statement {
  return {
    sql: `SELECT e.version, IF(e.version = c.version, NULL, e.patch) AS patch, e.patch_encoding, e.state_hash, e.created_at
     FROM (SELECT MAX(version) AS version FROM checkpoints WHERE tenant = ? AND session_id = ? AND version <= ?) AS c
     JOIN events AS e ON e.tenant = ? AND e.session_id = ? AND e.version BETWEEN c.version AND ?
     ORDER BY e.version`,
    values: [tenant, sessionId, version, tenant, sessionId, version],
  };
}

export function toEventPatches(rows: unknown): EventPatch[] {
  return (rows as EventPatchRow[]).map((row) => ({
    version: Number(row.version),
    patch: storedPatch(row),
    stateHash: row.state_hash,
    createdAt: dbInstant(row.created_at),
  }));
}

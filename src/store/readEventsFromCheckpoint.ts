import { dbInstant } from '../core/time.js';
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
  const rows = await selectRows<EventPatchRow>(
    db,
    `SELECT e.version, IF(e.version = c.version, NULL, e.patch) AS patch, e.patch_encoding, e.state_hash, e.created_at
     FROM (SELECT MAX(version) AS version FROM checkpoints WHERE tenant = ? AND session_id = ? AND version <= ?) AS c
     JOIN events AS e ON e.tenant = ? AND e.session_id = ? AND e.version BETWEEN c.version AND ?
     ORDER BY e.version`,
    [tenant, sessionId, version, tenant, sessionId, version],
  );
  return rows.map((row) => ({
    version: row.version,
    patch: storedPatch(row),
    stateHash: row.state_hash,
    createdAt: dbInstant(row.created_at),
  }));
}

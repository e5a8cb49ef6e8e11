import { dbInstant } from '../core/time.js';
import { selectRows, type Queryable } from '../db/pool.js';
import type { EncodedBody } from './codec.js';
import { storedPatch, type PatchRow } from './eventMetadata.js';

export interface EventPatch {
  version: number;
  /** Undefined for the first version of the range, and for versions stored whole. */
  patch: EncodedBody | undefined;
  stateHash: Buffer;
  createdAt: string;
}

interface EventPatchRow extends PatchRow {
  version: number;
  state_hash: Buffer;
  created_at: string;
}

/**
 * Events `from`..`to` (both included) in version order, for replay from the checkpoint at `from`.
 * The patch of `from` itself is already in that checkpoint, so it is not read.
 */
export async function readEventPatches(db: Queryable, tenant: string, sessionId: string, from: number, to: number): Promise<EventPatch[]> {
  const rows = await selectRows<EventPatchRow>(
    db,
    `SELECT version, IF(version = ?, NULL, patch) AS patch, patch_encoding, state_hash, created_at FROM events
     WHERE tenant = ? AND session_id = ? AND version BETWEEN ? AND ? ORDER BY version`,
    [from, tenant, sessionId, from, to],
  );
  return rows.map((row) => ({
    version: row.version,
    patch: storedPatch(row),
    stateHash: row.state_hash,
    createdAt: dbInstant(row.created_at),
  }));
}

import { dbInstant } from '../core/time.js';
import type { Statement } from '../db/batch.js';
import { execute, selectRows, type Queryable } from '../db/pool.js';

/** Where a compacted session's history starts: its first kept version and the chain link into it. */
export interface SessionBase {
  baseVersion: number;
  /** The chain hash of the versions before the base: the base event's prev_hash. */
  baseChainHash: Buffer;
  compactedAt: string;
}

/** The session's base, or undefined when nothing was ever compacted (its history starts at version 1). */
export async function readSessionBase(db: Queryable, tenant: string, sessionId: string): Promise<SessionBase | undefined> {
  const rows = await selectRows<{ base_version: number; base_chain_hash: Buffer; compacted_at: string }>(
    db,
    'SELECT base_version, base_chain_hash, compacted_at FROM session_bases WHERE tenant = ? AND session_id = ?',
    [tenant, sessionId],
  );
  const row = rows[0];
  return row && { baseVersion: row.base_version, baseChainHash: row.base_chain_hash, compactedAt: dbInstant(row.compacted_at) };
}

/** The first version a session still has: its base, or 1. */
export async function readFirstVersion(db: Queryable, tenant: string, sessionId: string): Promise<number> {
  return (await readSessionBase(db, tenant, sessionId))?.baseVersion ?? 1;
}

/** readFirstVersion as a statement, to be sent with others in one round trip (see runBatch). */
export function readFirstVersionStatement(tenant: string, sessionId: string): Statement {
  return { sql: 'SELECT base_version FROM session_bases WHERE tenant = ? AND session_id = ?', values: [tenant, sessionId] };
}

export function toFirstVersion(rows: unknown): number {
  return (rows as Array<{ base_version: number }>)[0]?.base_version ?? 1;
}

/** Records a new base; a base only ever moves forward (a lower one leaves the row as it is). */
export async function writeSessionBase(db: Queryable, tenant: string, sessionId: string, baseVersion: number, baseChainHash: Buffer): Promise<void> {
  await execute(
    db,
    `INSERT INTO session_bases (tenant, session_id, base_version, base_chain_hash, compacted_at)
     VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6))
     ON DUPLICATE KEY UPDATE
       base_chain_hash = IF(VALUES(base_version) > base_version, VALUES(base_chain_hash), base_chain_hash),
       compacted_at = IF(VALUES(base_version) > base_version, VALUES(compacted_at), compacted_at),
       base_version = GREATEST(base_version, VALUES(base_version))`,
    [tenant, sessionId, baseVersion, baseChainHash],
  );
}

/**
 * The base of a compacted history is stored whole (its checkpoint): the patch its event kept
 * applied to a version that is gone, so it is dropped. Returns the bytes it held.
 */
export async function dropBasePatch(db: Queryable, tenant: string, sessionId: string, version: number): Promise<number> {
  const [row] = await selectRows<{ bytes: number | null }>(
    db,
    'SELECT LENGTH(patch) AS bytes FROM events WHERE tenant = ? AND session_id = ? AND version = ?',
    [tenant, sessionId, version],
  );
  if (!row?.bytes) return 0;
  await execute(db, 'UPDATE events SET patch = NULL, patch_encoding = 0 WHERE tenant = ? AND session_id = ? AND version = ?', [tenant, sessionId, version]);
  return Number(row.bytes);
}

import { dbInstant } from '../core/time.js';
import { selectRows, type Queryable } from '../db/pool.js';

export interface SessionHead {
  tenant: string;
  sessionId: string;
  headVersion: number;
  headStateHash: Buffer;
  headChainHash: Buffer;
  headStateBytes: number;
  checkpointVersion: number;
  patchBytesSinceCheckpoint: number;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
}

interface SessionHeadRow {
  tenant: string;
  session_id: string;
  head_version: number;
  head_state_hash: Buffer;
  head_chain_hash: Buffer;
  head_state_bytes: number;
  checkpoint_version: number;
  patch_bytes_since_checkpoint: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

const COLUMNS = `tenant, session_id, head_version, head_state_hash, head_chain_hash, head_state_bytes,
  checkpoint_version, patch_bytes_since_checkpoint, created_at, updated_at, deleted_at`;

function toSessionHead(row: SessionHeadRow): SessionHead {
  return {
    tenant: row.tenant,
    sessionId: row.session_id,
    headVersion: row.head_version,
    headStateHash: row.head_state_hash,
    headChainHash: row.head_chain_hash,
    headStateBytes: row.head_state_bytes,
    checkpointVersion: row.checkpoint_version,
    patchBytesSinceCheckpoint: Number(row.patch_bytes_since_checkpoint),
    createdAt: dbInstant(row.created_at),
    updatedAt: dbInstant(row.updated_at),
    deletedAt: row.deleted_at === null ? null : dbInstant(row.deleted_at),
  };
}

/** The head row as committed now (a plain read: no lock). */
export async function readSessionHead(db: Queryable, tenant: string, sessionId: string): Promise<SessionHead | undefined> {
  const rows = await selectRows<SessionHeadRow>(
    db,
    `SELECT ${COLUMNS} FROM sessions WHERE tenant = ? AND session_id = ?`,
    [tenant, sessionId],
  );
  return rows[0] && toSessionHead(rows[0]);
}

/**
 * The head row, locked until the transaction ends: every write of a session goes through this
 * lock, which is what serializes concurrent writers across server processes. Also returns the
 * database's clock, the one source of event times.
 */
export async function lockSessionHead(
  db: Queryable,
  tenant: string,
  sessionId: string,
  mode: 'update' | 'share' = 'update',
): Promise<{ head: SessionHead | undefined; now: string }> {
  const rows = await selectRows<SessionHeadRow & { now: string }>(
    db,
    `SELECT ${COLUMNS}, UTC_TIMESTAMP(6) AS now FROM sessions WHERE tenant = ? AND session_id = ?
     ${mode === 'update' ? 'FOR UPDATE' : 'LOCK IN SHARE MODE'}`,
    [tenant, sessionId],
  );
  if (rows[0]) return { head: toSessionHead(rows[0]), now: dbInstant(rows[0].now) };
  const [clock] = await selectRows<{ now: string }>(db, 'SELECT UTC_TIMESTAMP(6) AS now', []);
  return { head: undefined, now: dbInstant(clock!.now) };
}

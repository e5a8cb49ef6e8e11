/** The sessions table (one head row per session): its row, the columns the reads select, and the row mapped to a SessionHead. */
import { dbInstant } from '../core/time.js';

/** What a write sets in the head row. */
export interface SessionHeadWrite {
  tenant: string;
  sessionId: string;
  headVersion: number;
  headStateHash: Buffer;
  headChainHash: Buffer;
  headStateBytes: number;
  checkpointVersion: number;
  patchBytesSinceCheckpoint: number;
  updatedAt: string;
}

export interface SessionHead extends SessionHeadWrite {
  createdAt: string;
  deletedAt: string | null;
}

export interface SessionHeadRow {
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

export const SESSION_HEAD_COLUMNS = `tenant, session_id, head_version, head_state_hash, head_chain_hash, head_state_bytes,
  checkpoint_version, patch_bytes_since_checkpoint, created_at, updated_at, deleted_at`;

export function toSessionHead(row: SessionHeadRow): SessionHead {
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

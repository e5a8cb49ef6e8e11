import { createHash } from 'node:crypto';

/** The chain hash before version 1. */
export const GENESIS_HASH = Buffer.alloc(32);

export interface ChainedEvent {
  version: number;
  kind: string;
  createdAt: string;
  stateHash: Buffer;
}

/**
 * Each event stores the chain hash of the event before it (and the session head stores the last
 * one), so rewriting any event's version, kind, time or resulting state breaks every later link:
 * history edits are detectable by replaying the chain, not just by recomputing one state.
 */
export function chainHash(previous: Buffer, event: ChainedEvent): Buffer {
  const version = Buffer.alloc(4);
  version.writeUInt32BE(event.version);
  return createHash('sha256')
    .update(previous)
    .update(version)
    .update(event.kind)
    .update('\0')
    .update(event.createdAt)
    .update('\0')
    .update(event.stateHash)
    .digest();
}

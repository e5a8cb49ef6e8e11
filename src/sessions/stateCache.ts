import type { Json } from '../core/json.js';

export interface CachedState {
  version: number;
  stateHash: Buffer;
  state: Json;
  /** Approximate size: the state's canonical JSON bytes. */
  bytes: number;
}

/**
 * Head states recently written or loaded by this process, least recently used evicted first, bounded
 * by the total of their JSON sizes. An optimisation only: an entry is used solely when its version
 * AND state hash equal the head row just read from the database, so a write by another process (or
 * a purge and re-creation) can never be served from here. Cached states are shared and must never
 * be mutated.
 */
export interface StateCache {
  get(tenant: string, sessionId: string, version: number, stateHash: Buffer): Json | undefined;
  set(tenant: string, sessionId: string, entry: CachedState): void;
  delete(tenant: string, sessionId: string): void;
  readonly bytes: number;
}

export function createStateCache(maxBytes: number): StateCache {
  const entries = new Map<string, CachedState>();
  let totalBytes = 0;
  const keyOf = (tenant: string, sessionId: string): string => `${tenant}\u0000${sessionId}`;
  const remove = (key: string): void => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    totalBytes -= entry.bytes;
  };
  return {
    get(tenant, sessionId, version, stateHash) {
      const key = keyOf(tenant, sessionId);
      const entry = entries.get(key);
      if (!entry || entry.version !== version || !entry.stateHash.equals(stateHash)) return undefined;
      // Re-insert to mark it most recently used (a Map iterates in insertion order).
      entries.delete(key);
      entries.set(key, entry);
      return entry.state;
    },
    set(tenant, sessionId, entry) {
      const key = keyOf(tenant, sessionId);
      remove(key);
      if (entry.bytes > maxBytes) return;
      entries.set(key, entry);
      totalBytes += entry.bytes;
      for (const oldest of entries.keys()) {
        if (totalBytes <= maxBytes) break;
        remove(oldest);
      }
    },
    delete(tenant, sessionId) {
      remove(keyOf(tenant, sessionId));
    },
    get bytes() {
      return totalBytes;
    },
  };
}

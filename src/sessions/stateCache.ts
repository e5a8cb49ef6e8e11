import type { StateText } from '../core/stateTasks.js';

export interface CachedState {
  version: number;
  stateHash: Buffer;
  state: StateText;
}

/**
 * Head states recently written or loaded by this process, as their JSON text, least recently used
 * evicted first, bounded by the total of their sizes. An optimisation only: an entry is used
 * solely when its version AND state hash equal the head row just read from the database, so a
 * write by another process (or a purge and re-creation) can never be served from here.
 */
export interface StateCache {
  get(tenant: string, sessionId: string, version: number, stateHash: Buffer): StateText | undefined;
  /** The entry held for a session, whatever its version: only a guess at its head, to be checked against the head row. */
  latest(tenant: string, sessionId: string): CachedState | undefined;
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
    totalBytes -= entry.state.bytes;
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
    latest(tenant, sessionId) {
      return entries.get(keyOf(tenant, sessionId));
    },
    set(tenant, sessionId, entry) {
      const key = keyOf(tenant, sessionId);
      remove(key);
      if (entry.state.bytes > maxBytes) return;
      entries.set(key, entry);
      totalBytes += entry.state.bytes;
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

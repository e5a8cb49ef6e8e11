/**
 * Checkpoints recently read by this process, as their decoded JSON text, least recently used
 * evicted first, bounded by the total of their sizes (CHECKPOINT_CACHE_BYTES). A load of an older
 * version inflated and read its checkpoint again every time (bench/PROFILE.md: a tenth of a random
 * version's load). An entry is used only for the checkpoint whose version AND state hash (from its
 * event row, read by the same load) are the entry's, so a purged and re-created session never
 * finds another's; and every state rebuilt from one is still checked against its recorded hash.
 */
export interface CheckpointCache {
  get(tenant: string, sessionId: string, version: number, stateHash: Buffer): string | undefined;
  set(tenant: string, sessionId: string, version: number, stateHash: Buffer, text: string): void;
  readonly bytes: number;
}

export function createCheckpointCache(maxBytes: number): CheckpointCache {
  const entries = new Map<string, { stateHash: Buffer; text: string }>();
  let totalBytes = 0;
  const keyOf = (tenant: string, sessionId: string, version: number): string => `${tenant}\u0000${sessionId}\u0000${version}`;
  const remove = (key: string): void => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    totalBytes -= entry.text.length;
  };
  return {
    get(tenant, sessionId, version, stateHash) {
      const key = keyOf(tenant, sessionId, version);
      const entry = entries.get(key);
      if (!entry || !entry.stateHash.equals(stateHash)) return undefined;
      // Re-insert to mark it most recently used (a Map iterates in insertion order).
      entries.delete(key);
      entries.set(key, entry);
      return entry.text;
    },
    set(tenant, sessionId, version, stateHash, text) {
      const key = keyOf(tenant, sessionId, version);
      remove(key);
      if (text.length > maxBytes) return;
      entries.set(key, { stateHash, text });
      totalBytes += text.length;
      for (const oldest of entries.keys()) {
        if (totalBytes <= maxBytes) break;
        remove(oldest);
      }
    },
    get bytes() {
      return totalBytes;
    },
  };
}

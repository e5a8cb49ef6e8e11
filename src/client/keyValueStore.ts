import { escapePointerToken, isJsonObject, type Json } from '../core/json.js';
import { SessionStoreError, type SessionStoreClient } from './client.js';
import type { JsonPatchOperation } from './types.js';

export interface KeyValueStoreOptions {
  client: SessionStoreClient;
  /** The session holding every key (one JSON object: key → value). */
  sessionId: string;
  /** How long set() waits for more changes before writing them in one PATCH. Default 250 ms. */
  debounceMs?: number;
  /** Shown in the session's history for each write. */
  message?: string;
  /** A background write failed (its changes stay pending and are retried on the next write). */
  onError?: (error: unknown) => void;
}

/**
 * A key-value view of one session, for bots that keep a folder of JSON files (a WhatsApp
 * multi-file auth state): each file is a key. Reads come from memory; writes are batched: every
 * set() within `debounceMs` becomes one PATCH, conditional on the version last seen. When another
 * writer got there first (412), the store re-reads the session and applies its own pending keys
 * on top, so nothing either writer set is lost. Changes not yet written when the process dies are
 * lost: at most the debounce window. Call flush() before shutting down.
 */
export interface KeyValueStore {
  /** Loads the session (call once on start). A session that does not exist yet is empty. */
  restore(): Promise<void>;
  get(keys: string[]): Promise<Record<string, Json | undefined>>;
  /** Sets keys (null deletes); written within the debounce window. */
  set(entries: Record<string, Json | null>): Promise<void>;
  /** Writes every pending change now and waits until it is stored. */
  flush(): Promise<void>;
  /** flush(), then stop the debounce timer. */
  close(): Promise<void>;
  /** The session version the store last saw (undefined before the session exists). */
  readonly version: number | undefined;
}

export function createKeyValueStore(options: KeyValueStoreOptions): KeyValueStore {
  const { client, sessionId } = options;
  const debounceMs = options.debounceMs ?? 250;
  let remote: Record<string, Json> = {};
  let version: number | undefined;
  let pending = new Map<string, Json | null>();
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  async function reload(): Promise<void> {
    const loaded = await client.load(sessionId);
    if (!loaded) {
      remote = {};
      version = undefined;
      return;
    }
    if (!isJsonObject(loaded.state)) throw new Error(`session ${sessionId} does not hold an object of keys`);
    remote = loaded.state;
    version = loaded.version;
  }

  async function write(batch: Map<string, Json | null>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (version === undefined) {
          const state: Record<string, Json> = {};
          for (const [key, value] of batch) if (value !== null) state[key] = value;
          const answer = await client.save(sessionId, state, { createOnly: true, message: options.message });
          remote = state;
          version = answer.version;
          return;
        }
        const ops: JsonPatchOperation[] = [];
        for (const [key, value] of batch) {
          const path = `/${escapePointerToken(key)}`;
          if (value !== null) ops.push({ op: 'add', path, value });
          else if (Object.prototype.hasOwnProperty.call(remote, key)) ops.push({ op: 'remove', path });
        }
        if (ops.length === 0) return;
        const answer = await client.patch(sessionId, ops, { expectedVersion: version, message: options.message });
        for (const [key, value] of batch) {
          if (value === null) delete remote[key];
          else remote[key] = value;
        }
        version = answer.version;
        return;
      } catch (error) {
        // Someone else wrote first, or the session vanished: re-read, apply our keys on top.
        const conflict = error instanceof SessionStoreError && (error.status === 412 || error.status === 404);
        if (!conflict || attempt >= 10) throw error;
        await reload();
      }
    }
  }

  function flush(): Promise<void> {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    // One write at a time, in order: each takes the changes pending when it starts.
    writing = writing.then(async () => {
      if (pending.size === 0) return;
      const batch = pending;
      pending = new Map();
      try {
        await write(batch);
      } catch (error) {
        // Keep the failed changes, under any newer ones, for the next attempt.
        for (const [key, value] of batch) if (!pending.has(key)) pending.set(key, value);
        throw error;
      }
    });
    return writing;
  }

  return {
    async restore() {
      await reload();
    },
    async get(keys) {
      const result: Record<string, Json | undefined> = {};
      for (const key of keys) {
        const value = pending.has(key) ? pending.get(key) : remote[key];
        result[key] = value === null ? undefined : value;
      }
      return result;
    },
    async set(entries) {
      for (const [key, value] of Object.entries(entries)) pending.set(key, value);
      if (!timer) {
        timer = setTimeout(() => {
          timer = undefined;
          flush().catch((error: unknown) => options.onError?.(error));
        }, debounceMs);
      }
    },
    flush,
    async close() {
      await flush();
    },
    get version() {
      return version;
    },
  };
}

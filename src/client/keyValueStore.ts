import { diff } from '../core/diff.js';
import { escapePointerToken, isJsonObject, type Json } from '../core/json.js';
import { SessionStoreError, type SessionStoreClient } from './client.js';
import type { JsonPatchOperation } from './types.js';

export interface KeyValueStoreOptions {
  client: SessionStoreClient;
  /** The session holding every key (one JSON object: key → value). */
  sessionId: string;
  /**
   * 'commit' (default): set() resolves once the PATCH carrying its keys is committed; the sets made
   * while one write is in flight are written together by the next one (group commit).
   * 'debounce': set() resolves at once and the sets of `debounceMs` are written later in one
   * PATCH; a process that dies before that write loses them.
   */
  durability?: 'commit' | 'debounce';
  /** With durability 'debounce': how long set() waits for more changes. Default 250 ms. */
  debounceMs?: number;
  /** Shown in the session's history for each write. */
  message?: string;
  /** With durability 'debounce': a background write failed (its changes stay pending and are retried on the next write). */
  onError?: (error: unknown) => void;
}

/**
 * A key-value view of one session, for bots that keep a folder of JSON files (a WhatsApp
 * multi-file auth state): each file is a key. Reads come from memory; writes are batched into
 * one PATCH each, conditional on the version last seen. When another writer got there first
 * (412), the store re-reads the session and applies its own pending keys on top, so nothing
 * either writer set is lost.
 *
 * A deleted (tombstoned) session is "no session": restore() then starts empty, and the keys go
 * to the next generation of the id (`<sessionId>.gen-2`, `.gen-3`, …), since a tombstoned id
 * stays taken. A purged id is free again and is used as it is.
 */
export interface KeyValueStore {
  /**
   * Finds the session (the live generation of the id) and loads it: call once on start. None
   * yet, or only deleted ones: the store starts empty and its first write creates the session.
   */
  restore(): Promise<void>;
  /** The values of those keys that are set; keys not set are absent from the result. */
  get(keys: string[]): Promise<Record<string, Json>>;
  /**
   * Sets keys (null deletes). Durability 'commit': resolves once written, or rejects with the
   * write's error (its keys then go with the next write); 'debounce': resolves at once.
   */
  set(entries: Record<string, Json | null>): Promise<void>;
  /** Writes every pending change now and waits until it is stored. */
  flush(): Promise<void>;
  /** flush(), then stop the debounce timer. */
  close(): Promise<void>;
  /**
   * Ends this set of keys (a logout): changes not yet written are dropped (their set() rejects),
   * then the session is tombstoned, or purged with `purge: true`. The store is then empty; its
   * next write starts a new session (the next generation after a tombstone, the same id after a
   * purge).
   */
  clear(options?: { purge?: boolean }): Promise<void>;
  /** The session version the store last saw (undefined before the session exists). */
  readonly version: number | undefined;
  /** The id of the session holding the keys now: `sessionId`, or a later generation of it. */
  readonly sessionId: string;
}

/** Where generation n > 1 of a key set lives. */
function generationId(sessionId: string, generation: number): string {
  return generation === 1 ? sessionId : `${sessionId}.gen-${generation}`;
}

/** Session ids are at most this long (the API's limit). */
const MAX_SESSION_ID_LENGTH = 128;

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  // A batch nobody awaits (debounce mode) must not become an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** Another client deleted the session under us: what was pending belonged to it and is dropped. */
const isGone = (error: unknown): boolean => error instanceof SessionStoreError && (error.status === 410 || error.status === 404);

const goneError = (status: 404 | 410, detail: string): SessionStoreError =>
  new SessionStoreError(status, { type: 'about:blank', title: status === 410 ? 'Gone' : 'Not Found', status, detail: `${detail} by another client: restore() to start afresh` });

/** A copy that shares nothing with the caller's value, so a later mutation of theirs cannot reach our view. */
const copy = (value: Json): Json => (value === null || typeof value !== 'object' ? value : structuredClone(value));

export function createKeyValueStore(options: KeyValueStoreOptions): KeyValueStore {
  const { client } = options;
  const baseId = options.sessionId;
  const durability = options.durability ?? 'commit';
  if (durability !== 'commit' && durability !== 'debounce') throw new TypeError(`durability must be 'commit' or 'debounce', not ${String(durability)}`);
  if (options.debounceMs !== undefined && durability !== 'debounce') {
    throw new TypeError("debounceMs applies to durability: 'debounce' only (set() now waits for its write by default)");
  }
  const debounceMs = options.debounceMs ?? 250;

  /** The session now in use; undefined until found (restore(), the first write, after a tombstone). */
  let currentId: string | undefined;
  let remote = new Map<string, Json>();
  let version: number | undefined;
  let pending = new Map<string, Json | null>();
  /** The changes of the write in flight: still what get() answers until it is stored (or fails). */
  let inFlight = new Map<string, Json | null>();
  /** Those waiting for the write that will take `pending`. */
  let nextBatch: Deferred | undefined;
  let timer: NodeJS.Timeout | undefined;

  // Writes, restore() and clear() run one at a time, in order.
  let tail: Promise<unknown> = Promise.resolve();
  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = tail.then(work);
    tail = result.catch(() => undefined);
    return result;
  }

  type Found = { state: Json; version: number } | 'absent' | 'gone';
  async function loadAt(id: string): Promise<Found> {
    try {
      return (await client.load(id)) ?? 'absent';
    } catch (error) {
      if (error instanceof SessionStoreError && error.status === 410) return 'gone';
      throw error;
    }
  }

  function take(id: string, found: { state: Json; version: number } | undefined): void {
    if (found && !isJsonObject(found.state)) throw new Error(`session ${id} does not hold an object of keys`);
    currentId = id;
    remote = new Map(found ? Object.entries(found.state as Record<string, Json>) : []);
    version = found?.version;
  }

  /**
   * The live generation: the id itself, else the newest live `.gen-N` (the API lists live
   * sessions only), else the first free generation after the deleted ones.
   */
  async function locate(): Promise<void> {
    const first = await loadAt(baseId);
    if (first !== 'absent' && first !== 'gone') return take(baseId, first);
    const prefix = `${baseId}.gen-`;
    const live: number[] = [];
    for (let cursor: string | undefined; ; ) {
      const page = await client.list({ prefix, limit: 1000, cursor });
      for (const item of page.items) {
        const n = item.session_id.slice(prefix.length);
        if (/^[1-9][0-9]*$/.test(n)) live.push(Number(n));
      }
      if (!page.next) break;
      cursor = page.next;
    }
    for (const n of live.sort((a, b) => b - a)) {
      const found = await loadAt(generationId(baseId, n));
      if (found !== 'absent' && found !== 'gone') return take(generationId(baseId, n), found);
    }
    if (first === 'absent') return take(baseId, undefined);
    for (let n = 2; ; n++) {
      const id = generationId(baseId, n);
      if (id.length > MAX_SESSION_ID_LENGTH) throw new Error(`session ${baseId} was deleted and its id is too long for a new generation (${id}): purge it instead`);
      const found = await loadAt(id);
      if (found === 'gone') continue;
      return take(id, found === 'absent' ? undefined : found);
    }
  }

  /** The operations that turn `remote` into `remote` with `batch` applied. */
  function operationsFor(batch: Map<string, Json | null>): JsonPatchOperation[] {
    const ops: JsonPatchOperation[] = [];
    for (const [key, value] of batch) {
      const path = `/${escapePointerToken(key)}`;
      const before = remote.get(key);
      if (value === null) {
        if (before !== undefined) ops.push({ op: 'remove', path });
      } else if (before === undefined) {
        ops.push({ op: 'add', path, value });
      } else {
        // A value rewritten with a few members changed (creds, a signal session) sends those members only.
        const changes = diff(before, value, 64);
        if (changes && JSON.stringify(changes).length < JSON.stringify(value).length) {
          for (const change of changes) ops.push({ ...(change as JsonPatchOperation), path: `${path}${change.path}` });
        } else {
          ops.push({ op: 'add', path, value });
        }
      }
    }
    return ops;
  }

  async function write(batch: Map<string, Json | null>): Promise<void> {
    if (currentId === undefined) await locate();
    const id = currentId!;
    for (let attempt = 0; ; attempt++) {
      try {
        if (version === undefined) {
          const state: Record<string, Json> = {};
          for (const [key, value] of batch) if (value !== null) state[key] = value;
          if (Object.keys(state).length === 0) return;
          const answer = await client.save(id, state, { createOnly: true, message: options.message });
          remote = new Map(Object.entries(state));
          version = answer.version;
          return;
        }
        const ops = operationsFor(batch);
        if (ops.length === 0) return;
        const answer = await client.patch(id, ops, { expectedVersion: version, message: options.message });
        for (const [key, value] of batch) {
          if (value === null) remote.delete(key);
          else remote.set(key, value);
        }
        version = answer.version;
        return;
      } catch (error) {
        // Someone else wrote (or created the session) first: re-read, apply our keys on top.
        const conflict = error instanceof SessionStoreError && (error.status === 412 || error.status === 409);
        if (!conflict || attempt >= 10) throw error;
        const found = await loadAt(id);
        // Deleted, or purged since we saw it: not a session to re-create with our keys alone.
        if (found === 'gone') throw goneError(410, `session ${id} was deleted`);
        if (found === 'absent' && version !== undefined) throw goneError(404, `session ${id} was purged`);
        take(id, found === 'absent' ? undefined : found);
      }
    }
  }

  /** Writes what is pending (after the write in flight, if any): the batch of a group commit. */
  async function writeBatch(): Promise<void> {
    const waiters = nextBatch;
    nextBatch = undefined;
    if (!waiters) return;
    const batch = pending;
    pending = new Map();
    inFlight = batch;
    try {
      await write(batch);
      waiters.resolve();
    } catch (error) {
      if (isGone(error)) {
        // The session was deleted by another client (a logout elsewhere): these keys, and any
        // set meanwhile, belonged to it. Dropped, and everyone waiting is told.
        pending = new Map();
        (nextBatch as Deferred | undefined)?.reject(error); // set meanwhile: TS cannot know
        nextBatch = undefined;
      } else {
        // Kept under any newer changes, for the next write.
        for (const [key, value] of batch) if (!pending.has(key)) pending.set(key, value);
      }
      waiters.reject(error);
    } finally {
      inFlight = new Map();
    }
  }

  /** The promise of the write that will carry what is pending now. */
  function schedule(): Promise<void> {
    if (!nextBatch) {
      nextBatch = deferred();
      // One turn of the event loop lets every set() made meanwhile join this batch.
      setImmediate(() => void exclusive(writeBatch));
    }
    return nextBatch.promise;
  }

  function stopTimer(): void {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
  }

  async function flush(): Promise<void> {
    stopTimer();
    await exclusive(async () => undefined); // the write in flight, if any
    if (pending.size > 0 || nextBatch) await schedule();
  }

  return {
    async restore() {
      await exclusive(locate);
    },
    async get(keys) {
      const result: Record<string, Json> = {};
      for (const key of keys) {
        const value = pending.has(key) ? pending.get(key) : inFlight.has(key) ? inFlight.get(key) : remote.get(key);
        if (value !== null && value !== undefined) Object.defineProperty(result, key, { value: copy(value), enumerable: true, writable: true, configurable: true });
      }
      return result;
    },
    async set(entries) {
      for (const [key, value] of Object.entries(entries)) pending.set(key, value === undefined ? null : copy(value));
      if (durability === 'commit') return schedule();
      if (!timer) {
        timer = setTimeout(() => {
          timer = undefined;
          schedule().catch((error: unknown) => options.onError?.(error));
        }, debounceMs);
      }
    },
    flush,
    async close() {
      await flush();
    },
    async clear(clearOptions = {}) {
      stopTimer();
      pending = new Map();
      nextBatch?.reject(new Error(`session ${baseId} was cleared before these keys were written`));
      nextBatch = undefined;
      await exclusive(async () => {
        if (currentId === undefined) await locate();
        if (version !== undefined) {
          try {
            await client.delete(currentId!, { purge: clearOptions.purge });
          } catch (error) {
            if (!isGone(error)) throw error; // already deleted by someone else
          }
        }
        remote = new Map();
        version = undefined;
        // A tombstoned id stays taken: the next write looks for the next generation.
        if (!clearOptions.purge) currentId = undefined;
      });
    },
    get version() {
      return version;
    },
    get sessionId() {
      return currentId ?? baseId;
    },
  };
}

import type { Json } from '../core/json.js';
import { fromBufferJson, toBufferJson } from './bufferJson.js';
import type { SessionStoreClient } from './client.js';
import { createKeyValueStore, type KeyValueStoreOptions } from './keyValueStore.js';
import type { WriteAnswer } from './types.js';

/**
 * What the auth state needs of Baileys (`@whiskeysockets/baileys`, an optional peer dependency):
 * fresh credentials for a new login, and the protobuf type app-state sync keys are read back as.
 */
export interface BaileysAuthModule {
  initAuthCreds(): object;
  proto: { Message: { AppStateSyncKeyData: { fromObject(object: Record<string, unknown>): unknown } } };
}

export interface SessionStoreAuthStateOptions extends Omit<KeyValueStoreOptions, 'client' | 'sessionId'> {
  /**
   * The Baileys module. Default: `import('@whiskeysockets/baileys')`, else `import('baileys')`;
   * pass it for another package name or a fork: `{ baileys: await import('baileys') }`.
   */
  baileys?: BaileysAuthModule;
}

/** Baileys' SignalKeyStore: keys by type and id; a null (or undefined) value deletes. */
export interface SessionStoreSignalKeyStore {
  /** Values are `any`: each type has its own shape (Baileys' SignalDataTypeMap). */
  get(type: string, ids: string[]): Promise<{ [id: string]: any }>;
  set(data: { [type: string]: { [id: string]: unknown } | undefined }): Promise<void>;
}

/**
 * What `useSessionStoreAuthState` gives: the shape of Baileys' `useMultiFileAuthState`, and more.
 * `Creds` is `any` unless given (Baileys' AuthenticationCreds), so the package's types do not need Baileys.
 */
export interface SessionStoreAuthState<Creds = any> {
  /** Pass as `auth` to makeWASocket (keys best through Baileys' makeCacheableSignalKeyStore). */
  state: { creds: Creds; keys: SessionStoreSignalKeyStore };
  /** Writes `state.creds`; resolves once stored (durability 'commit'). Bind to `creds.update`. */
  saveCreds(): Promise<void>;
  /**
   * Ends the login (on `DisconnectReason.loggedOut`): the session is tombstoned (or purged with
   * `purge: true`) and this auth state stops writing. Call useSessionStoreAuthState again for
   * a new login (a new QR code or pairing code).
   */
  clear(options?: { purge?: boolean }): Promise<void>;
  /** Writes what is pending (durability 'debounce'); call before exiting. */
  flush(): Promise<void>;
  /** The session holding this login (the id given, or `<id>.gen-N` after earlier logouts). */
  readonly sessionId: string;
  /** Its version as last seen (undefined while nothing is stored). */
  readonly version: number | undefined;
}

const CREDS_KEY = 'creds.json';

/** The key of a signal key: useMultiFileAuthState's file name for it, so a folder of those files imports as it is. */
export function signalKeyName(type: string, id: string): string {
  return `${type}-${id}.json`.replace(/\//g, '__').replace(/:/g, '-');
}

async function loadBaileys(): Promise<BaileysAuthModule> {
  // Names in variables: resolved when called, so the package needs Baileys only if this is used.
  for (const name of ['@whiskeysockets/baileys', 'baileys']) {
    try {
      const module = (await import(name)) as Partial<BaileysAuthModule> & { default?: BaileysAuthModule };
      return module.initAuthCreds ? (module as BaileysAuthModule) : module.default!; // a CommonJS build: its exports as default
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    }
  }
  throw new Error("useSessionStoreAuthState needs Baileys: npm install @whiskeysockets/baileys (or pass { baileys } in the options)");
}

/**
 * A Baileys auth state kept in one session of the store, in place of `useMultiFileAuthState`:
 * one key per file it would write (`creds.json`, `pre-key-1.json`, …), values in BufferJSON's
 * format. Every `keys.set()` and `saveCreds()` resolves once stored; sets made meanwhile are
 * written together in the next PATCH. A session that does not exist, or was deleted (logged
 * out), starts a new login with fresh credentials.
 */
export async function useSessionStoreAuthState<Creds = any>(
  client: SessionStoreClient,
  sessionId: string,
  options: SessionStoreAuthStateOptions = {},
): Promise<SessionStoreAuthState<Creds>> {
  const { baileys: given, ...storeOptions } = options;
  const baileys = given ?? (await loadBaileys());
  const store = createKeyValueStore({ ...storeOptions, client, sessionId });
  await store.restore();
  const stored = (await store.get([CREDS_KEY]))[CREDS_KEY];
  const creds = (stored === undefined ? baileys.initAuthCreds() : fromBufferJson(stored)) as Creds;
  // After clear() this login is over: late writes of its socket (a last creds.update) must not
  // reach the next login's session.
  let cleared = false;

  const keys: SessionStoreSignalKeyStore = {
    async get(type, ids) {
      if (cleared) return {};
      const names = ids.map((id) => signalKeyName(type, id));
      const values = await store.get(names);
      const result: Record<string, unknown> = {};
      ids.forEach((id, i) => {
        const value = values[names[i]!];
        if (value === undefined) return; // absent, not present-with-undefined
        let revived = fromBufferJson(value);
        if (type === 'app-state-sync-key') revived = baileys.proto.Message.AppStateSyncKeyData.fromObject(revived as Record<string, unknown>);
        Object.defineProperty(result, id, { value: revived, enumerable: true, writable: true, configurable: true });
      });
      return result;
    },
    async set(data) {
      if (cleared) return;
      const entries: Record<string, Json | null> = {};
      for (const [type, byId] of Object.entries(data)) {
        for (const [id, value] of Object.entries(byId ?? {})) {
          entries[signalKeyName(type, id)] = value === null || value === undefined ? null : (toBufferJson(value) ?? null);
        }
      }
      await store.set(entries);
    },
  };

  return {
    state: { creds, keys },
    async saveCreds() {
      if (cleared) return;
      await store.set({ [CREDS_KEY]: toBufferJson(creds) ?? null });
    },
    async clear(clearOptions = {}) {
      cleared = true;
      await store.clear(clearOptions);
    },
    flush: () => store.flush(),
    get sessionId() {
      return store.sessionId;
    },
    get version() {
      return store.version;
    },
  };
}

/**
 * Puts a login back as it was at a version or an instant (a new version equal to that one; the
 * history keeps everything). Stop the socket first, then start again with
 * useSessionStoreAuthState: a running socket would write its newer keys over the restored ones.
 */
export async function restoreSessionStoreAuthState(
  client: SessionStoreClient,
  sessionId: string,
  target: { version: number } | { at: string | Date },
  options: { message?: string; author?: string } = {},
): Promise<WriteAnswer> {
  const store = createKeyValueStore({ client, sessionId });
  await store.restore();
  if (store.version === undefined) throw new Error(`no stored login under ${sessionId} to restore`);
  return client.restore(store.sessionId, target, { message: options.message ?? 'restore the Baileys auth state', author: options.author });
}

/**
 * The Node/TypeScript client of the session-state store:
 *
 *   import { createClient, createKeyValueStore, useSessionStoreAuthState } from 'session-state-store';
 */
export { createClient, SessionStoreError, SessionStoreUnavailableError } from './client.js';
export type { ClientOptions, Loaded, SessionStoreClient, WatchOptions, WriteOptions } from './client.js';
export { readEventStream } from './eventStream.js';
export type { ServerSentEvent } from './eventStream.js';
export { createKeyValueStore } from './keyValueStore.js';
export type { KeyValueStore, KeyValueStoreOptions } from './keyValueStore.js';
export { restoreSessionStoreAuthState, signalKeyName, useSessionStoreAuthState } from './baileysAuthState.js';
export type { BaileysAuthModule, SessionStoreAuthState, SessionStoreAuthStateOptions, SessionStoreSignalKeyStore } from './baileysAuthState.js';
export { fromBufferJson, toBufferJson } from './bufferJson.js';
export type * from './types.js';

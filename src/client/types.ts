/** The API's own shapes, for clients: openapi.yaml's, as openapi-typescript derives them (src/contract/types.ts). */
import type { components } from '../contract/types.js';
import type { Json } from '../core/json.js';

export type { Json };

type Schemas = components['schemas'];

export type EventKind = Schemas['Kind'];
export type JsonPatchOperation = Schemas['JsonPatchOperation'];
export type ForkSource = Schemas['ForkSource'];
/** The answer to every write (PUT, PATCH, restore, fork). */
export type WriteAnswer = Schemas['WriteAnswer'];
export type HistoryItem = Schemas['HistoryItem'];
export type HistoryPage = Schemas['HistoryPage'];
export type VersionDetail = Schemas['VersionDetail'];
export type SessionItem = Schemas['SessionItem'];
export type SessionPage = Schemas['SessionPage'];
export type CompactionAnswer = Schemas['CompactionAnswer'];
export type RetentionRules = Schemas['RetentionRules'];
/** The answer to an import (POST /import). */
export type ImportAnswer = Schemas['ImportAnswer'];
/** A new version, as the change feed (`watch`) tells it: its history entry and `patch`, or `load_state`. */
export type FeedVersion = Schemas['FeedVersion'];
/** The end of a watched session: tombstoned (`purged: false`) or purged. */
export type FeedDeleted = Schemas['FeedDeleted'];
/** What `watch` yields: each new version, and last, when the session is deleted, its end. */
export type FeedChange = ({ event: 'version' } & FeedVersion) | ({ event: 'deleted' } & FeedDeleted);

/**
 * RFC 9457 problem details, as every error answer carries, with the members some add (a 412's
 * `current_version`, the failing `operation` of a patch) and any others a later server may add.
 */
export type Problem = Schemas['Problem'] &
  Partial<components['responses']['PreconditionFailed']['content']['application/problem+json']> &
  Partial<components['responses']['PayloadTooLarge']['content']['application/problem+json']> & { [extension: string]: unknown };

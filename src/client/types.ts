/** The API's own shapes (openapi.yaml), for clients. */
import type { Json } from '../core/json.js';

export type { Json };

export type EventKind = 'save' | 'patch' | 'restore' | 'fork';

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: Json;
}

export interface ForkSource {
  session_id: string;
  version: number;
}

/** The answer to every write (PUT, PATCH, restore, fork). */
export interface WriteAnswer {
  session_id: string;
  version: number;
  created_at: string;
  changed: boolean;
  kind: EventKind;
  ops: number;
  patch_bytes: number;
  state_bytes: number;
  state_hash: string;
  restored_from?: number;
  forked_from?: ForkSource;
}

export interface HistoryItem {
  version: number;
  created_at: string;
  kind: EventKind;
  ops: number;
  patch_bytes: number;
  state_bytes: number;
  state_hash: string;
  message?: string;
  author?: string;
  restored_from?: number;
  forked_from?: ForkSource;
}

export interface HistoryPage {
  items: HistoryItem[];
  next: number | null;
}

export interface VersionDetail extends HistoryItem {
  prev_hash: string;
  patch: JsonPatchOperation[];
}

export interface SessionItem {
  session_id: string;
  version: number;
  created_at: string;
  updated_at: string;
  state_bytes: number;
}

export interface SessionPage {
  items: SessionItem[];
  next: string | null;
}

/** RFC 9457 problem details, as every error answer carries. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  current_version?: number | null;
  [extension: string]: unknown;
}

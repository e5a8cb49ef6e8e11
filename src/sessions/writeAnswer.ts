import { formatInstant } from '../core/time.js';
import type { EventKind } from '../store/eventMetadata.js';
import type { StoredAnswer } from './idempotency.js';

/**
 * The answer to a write as its client receives it: the status and the JSON body, exactly the bytes
 * sent (openapi.yaml's WriteAnswer). An Idempotency-Key record keeps it in this form, so a retry
 * gets the same bytes even from a server that would now word the answer differently.
 */
export interface WriteAnswer {
  /** 201: a version was written; 200: the state equalled the head's, nothing was written. */
  status: 200 | 201;
  sessionId: string;
  version: number;
  body: string;
  /** True when this is the stored first answer to an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

/** What a write did, to be answered. */
export interface WriteOutcome {
  sessionId: string;
  version: number;
  createdAt: string;
  changed: boolean;
  kind: EventKind;
  ops: number;
  patchBytes: number;
  stateBytes: number;
  stateHash: string;
  restoredFrom?: number | undefined;
  forkedFrom?: { sessionId: string; version: number } | undefined;
}

export function writeAnswer(outcome: WriteOutcome): WriteAnswer {
  const body = {
    session_id: outcome.sessionId,
    version: outcome.version,
    created_at: formatInstant(outcome.createdAt),
    changed: outcome.changed,
    kind: outcome.kind,
    ops: outcome.ops,
    patch_bytes: outcome.patchBytes,
    state_bytes: outcome.stateBytes,
    state_hash: outcome.stateHash,
    ...(outcome.restoredFrom !== undefined ? { restored_from: outcome.restoredFrom } : {}),
    ...(outcome.forkedFrom ? { forked_from: { session_id: outcome.forkedFrom.sessionId, version: outcome.forkedFrom.version } } : {}),
  };
  return { status: outcome.changed ? 201 : 200, sessionId: outcome.sessionId, version: outcome.version, body: JSON.stringify(body), replayed: false };
}

/**
 * A stored first answer, replayed as it was sent. Its status and body are the record's own; the
 * version (for ETag and Location) is read from the body, which holds it.
 */
export function replayedWriteAnswer(sessionId: string, stored: StoredAnswer): WriteAnswer {
  const { status, response } = stored;
  const version = versionOf(response);
  if ((status !== 200 && status !== 201) || version === undefined) {
    throw new Error(`the Idempotency-Key record of session ${sessionId} holds no write answer (status ${status})`);
  }
  return { status, sessionId, version, body: response, replayed: true };
}

function versionOf(body: string): number | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const version = typeof parsed === 'object' && parsed !== null ? (parsed as { version?: unknown }).version : undefined;
  return typeof version === 'number' && Number.isInteger(version) && version >= 1 ? version : undefined;
}

import type { Context } from 'koa';
import { formatInstant } from '../core/time.js';
import type { WriteOutcome } from '../sessions/writeState.js';
import type { EventMetadata } from '../store/eventMetadata.js';
import type { SessionSummary } from '../store/listSessions.js';

/** The answer to every write: 201 with the new version, or 200 when the state was unchanged. */
export function sendWriteAnswer(ctx: Context, outcome: WriteOutcome): void {
  ctx.status = outcome.changed ? 201 : 200;
  ctx.set('ETag', `"${outcome.version}"`);
  if (outcome.changed) {
    ctx.set('Location', `/v1/sessions/${encodeURIComponent(outcome.sessionId)}/versions/${outcome.version}`);
  }
  if (outcome.replayed) ctx.set('Idempotent-Replayed', 'true');
  ctx.body = {
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
    ...(outcome.forkedFrom
      ? { forked_from: { session_id: outcome.forkedFrom.sessionId, version: outcome.forkedFrom.version } }
      : {}),
  };
}

export function historyItem(event: EventMetadata): Record<string, unknown> {
  return {
    version: event.version,
    created_at: formatInstant(event.createdAt),
    kind: event.kind,
    ops: event.ops,
    patch_bytes: event.patchBytes,
    state_bytes: event.stateBytes,
    state_hash: event.stateHash.toString('hex'),
    ...(event.message !== null ? { message: event.message } : {}),
    ...(event.author !== null ? { author: event.author } : {}),
    ...(event.kind === 'restore' && event.sourceVersion !== null ? { restored_from: event.sourceVersion } : {}),
    ...(event.kind === 'fork' && event.sourceSessionId !== null && event.sourceVersion !== null
      ? { forked_from: { session_id: event.sourceSessionId, version: event.sourceVersion } }
      : {}),
  };
}

export function sessionItem(session: SessionSummary): Record<string, unknown> {
  return {
    session_id: session.sessionId,
    version: session.version,
    created_at: formatInstant(session.createdAt),
    updated_at: formatInstant(session.updatedAt),
    state_bytes: session.stateBytes,
  };
}

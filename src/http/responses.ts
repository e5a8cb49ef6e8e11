import type { Context } from 'koa';
import { formatInstant } from '../core/time.js';
import { JSON_TYPE } from './body.js';
import type { WriteAnswer } from '../sessions/writeAnswer.js';
import type { EventMetadata } from '../store/eventMetadata.js';
import type { SessionSummary } from '../store/listSessions.js';

/**
 * The answer to every write: 201 with the new version, or 200 when the state was unchanged. The
 * body is sent as the text it is, so a replayed answer is the first one byte for byte.
 */
export function sendWriteAnswer(ctx: Context, answer: WriteAnswer): void {
  ctx.status = answer.status;
  ctx.set('ETag', `"${answer.version}"`);
  if (answer.status === 201) {
    ctx.set('Location', `/v1/sessions/${encodeURIComponent(answer.sessionId)}/versions/${answer.version}`);
  }
  if (answer.replayed) ctx.set('Idempotent-Replayed', 'true');
  ctx.type = JSON_TYPE;
  ctx.body = answer.body;
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
    ...(event.labels !== null ? { labels: event.labels } : {}),
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

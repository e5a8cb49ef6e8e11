import type { StoreContext } from './context.js';
import { runStateTask } from './stateWork.js';
import type { WriteAnswer } from './writeAnswer.js';
import { writeState, type WriteConditions } from './writeState.js';

/** PUT: the whole new state, as the JSON text the client sent. The first save creates the session. */
export async function saveState(
  ctx: StoreContext,
  tenant: string,
  sessionId: string,
  body: string,
  conditions: WriteConditions,
): Promise<WriteAnswer> {
  // Parsed, checked and hashed before any database work: a bad body costs no transaction.
  const state = await runStateTask(ctx.work, 'ingestState', { text: body, limits: ctx.limits }, body.length);
  return writeState(ctx, {
    tenant,
    sessionId,
    kind: 'save',
    conditions,
    fingerprint: { state: state.hash },
    requires: 'either',
    next: async () => ({ next: { state } }),
    requested: { state },
  });
}

/**
 * PATCH: an RFC 6902 patch (the JSON text the client sent) applied atomically to the head; 422
 * when it does not apply, 413 when its result would be too large.
 */
export async function patchState(
  ctx: StoreContext,
  tenant: string,
  sessionId: string,
  body: string,
  conditions: WriteConditions,
): Promise<WriteAnswer> {
  const patch = await runStateTask(ctx.work, 'ingestPatch', { text: body, limits: ctx.limits }, body.length);
  return writeState(ctx, {
    tenant,
    sessionId,
    kind: 'patch',
    conditions,
    fingerprint: { patch: patch.hash },
    requires: 'existing',
    next: async () => ({ next: { patchText: patch.text } }),
    requested: { patchText: patch.text },
  });
}

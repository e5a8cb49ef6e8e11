import type { Operation } from 'fast-json-patch';
import type { Json } from '../core/json.js';
import { applyToCopy, PatchConflictError } from '../core/replay.js';
import { UnprocessableError } from '../errors.js';
import type { StoreContext } from './context.js';
import { writeState, type WriteConditions, type WriteOutcome } from './writeState.js';

/** PUT: the whole new state. The first save creates the session. */
export function saveState(
  ctx: StoreContext,
  tenant: string,
  sessionId: string,
  state: Json,
  conditions: WriteConditions,
): Promise<WriteOutcome> {
  return writeState(ctx, {
    tenant,
    sessionId,
    kind: 'save',
    conditions,
    fingerprint: { state, message: conditions.message ?? null, author: conditions.author ?? null },
    requires: 'either',
    next: async () => ({ state }),
  });
}

/** PATCH: an RFC 6902 patch applied atomically to the head; 422 when it does not apply. */
export function patchState(
  ctx: StoreContext,
  tenant: string,
  sessionId: string,
  patch: Operation[],
  conditions: WriteConditions,
): Promise<WriteOutcome> {
  return writeState(ctx, {
    tenant,
    sessionId,
    kind: 'patch',
    conditions,
    fingerprint: { patch: patch as unknown as Json, message: conditions.message ?? null, author: conditions.author ?? null },
    requires: 'existing',
    next: async (_connection, _head, headState) => {
      try {
        return { state: applyToCopy(headState!, patch) };
      } catch (error) {
        if (error instanceof PatchConflictError) {
          throw new UnprocessableError(`the patch does not apply to version ${_head!.headVersion}: ${error.message}`, {
            current_version: _head!.headVersion,
            ...(error.operationIndex !== undefined ? { operation: error.operationIndex } : {}),
          });
        }
        throw error;
      }
    },
  });
}

import type { Operation } from 'fast-json-patch';
import type { Json } from './json.js';
import { applyPatch, type PatchBudget } from './jsonPatch.js';

export { PatchConflictError } from './jsonPatch.js';

/**
 * Applies an RFC 6902 patch to a copy of `document` and returns the result; `document` itself is
 * never changed. A patch that cannot apply (a failing `test`, a path that does not exist, a
 * budget exceeded) throws PatchConflictError.
 */
export function applyToCopy(document: Json, patch: readonly Operation[], budget?: PatchBudget): Json {
  return applyPatch(structuredClone(document), patch, budget);
}

/**
 * The state at some version: the full state of the nearest checkpoint at or below it, then each
 * later event's patch in version order. The load path, restore, diff and the replay script all
 * rebuild states with this one function. `checkpointState` is consumed.
 */
export function replay(checkpointState: Json, patches: Iterable<readonly Operation[]>): Json {
  let state = checkpointState;
  for (const patch of patches) state = applyPatch(state, patch);
  return state;
}

import fastJsonPatch, { type Operation } from 'fast-json-patch';
import type { Json } from './json.js';

const { applyPatch, JsonPatchError } = fastJsonPatch;

export class PatchConflictError extends Error {
  constructor(
    message: string,
    readonly operationIndex: number | undefined,
  ) {
    super(message);
  }
}

/**
 * Applies an RFC 6902 patch to a copy of `document` and returns the result; `document` itself is
 * never changed (it may be a cached head state). A patch that cannot apply (a failing `test`, a
 * path that does not exist) throws PatchConflictError.
 */
export function applyToCopy(document: Json, patch: readonly Operation[]): Json {
  return applyInPlace(structuredClone(document), patch);
}

/** Applies a patch to `document`, which the caller owns and lets this change. */
export function applyInPlace(document: Json, patch: readonly Operation[]): Json {
  try {
    // validate=true checks each operation against the document; prototype changes are banned.
    return applyPatch(document, patch as Operation[], true, true, true).newDocument as Json;
  } catch (error) {
    if (error instanceof JsonPatchError) {
      throw new PatchConflictError(describePatchError(error), error.index);
    }
    throw error;
  }
}

function describePatchError(error: InstanceType<typeof JsonPatchError>): string {
  const where = error.index === undefined ? '' : `operation ${error.index}: `;
  switch (error.name) {
    case 'TEST_OPERATION_FAILED':
      return `${where}the test failed: the value at the path is not the one given`;
    case 'OPERATION_PATH_UNRESOLVABLE':
      return `${where}the path does not exist in the document`;
    case 'OPERATION_FROM_UNRESOLVABLE':
      return `${where}the "from" path does not exist in the document`;
    case 'OPERATION_PATH_ILLEGAL_ARRAY_INDEX':
      return `${where}the path has an array index that is not a number`;
    case 'OPERATION_VALUE_OUT_OF_BOUNDS':
      return `${where}the array index is past the end of the array`;
    default:
      return `${where}${error.message.split('\n')[0] ?? 'the patch does not apply'}`;
  }
}

/**
 * The state at some version: the full state of the nearest checkpoint at or below it, then each
 * later event's patch in version order. The load path, restore, diff and the replay script all
 * rebuild states with this one function.
 */
export function replay(checkpointState: Json, patches: Iterable<readonly Operation[]>): Json {
  let state = checkpointState;
  for (const patch of patches) state = applyInPlace(state, patch);
  return state;
}

import { createHash } from 'node:crypto';
import type { Operation } from 'fast-json-patch';
import { diff } from './diff.js';
import { findInexactNumber } from './exactNumbers.js';
import { canonicalJson, digestState, inspectJson, jsonEqual, type Json, type JsonObject } from './json.js';
import { describeFailure, pointer, schemaValidator } from './contract.js';
import { applyPatch, PatchConflictError } from './jsonPatch.js';

/**
 * The CPU-heavy work on states, as pure functions from JSON text to JSON text: parsing and
 * checking a body, applying a patch, diffing, canonical hashing, replaying. Outside this module
 * the service holds states only as text, so these functions can run on a worker thread for large
 * states (text crosses threads as one copy, objects would not) and inline for small ones, with
 * the same code either way. They never throw for bad input: they answer a problem instead, which
 * survives the trip between threads where an error's class would not.
 */

export interface StateLimits {
  /** The largest state, in bytes of its compact JSON (BODY_LIMIT_BYTES). */
  maxBytes: number;
  /** The deepest nesting (MAX_JSON_DEPTH). */
  maxDepth: number;
}

export interface TaskProblem {
  /** 400 bad input, 413 too large, 422 does not apply; 500 stored history that does not replay. */
  status: 400 | 413 | 422 | 500;
  detail: string;
  /** The index of the patch operation that failed, if one did. */
  operation?: number;
}

export type TaskResult<T> = { ok: true; value: T } | { ok: false; problem: TaskProblem };

const ok = <T>(value: T): TaskResult<T> => ({ ok: true, value });
const refuse = (status: TaskProblem['status'], detail: string, operation?: number): TaskResult<never> => ({
  ok: false,
  problem: operation === undefined ? { status, detail } : { status, detail, operation },
});

/** A state as the service holds it: compact JSON text, its canonical hash (hex) and size. */
export interface StateText {
  text: string;
  hash: string;
  bytes: number;
}

/**
 * A JSON document sent by a client, parsed and checked: kept exactly or refused (a number a double
 * cannot hold, nesting past `maxDepth`, an object key `__proto__`), each with a 400 that says where.
 */
export function parseJsonDocument(text: string, maxDepth: number): TaskResult<Json> {
  let value: Json;
  try {
    // V8's JSON.parse is not recursive: absurd nesting is parsed, then refused below.
    value = JSON.parse(text) as Json;
  } catch (error) {
    return refuse(400, `the request body is not valid JSON: ${(error as Error).message}`);
  }
  const inexact = findInexactNumber(text);
  if (inexact !== undefined) {
    const shorten = (value: string, max: number): string => (value.length > max ? `${value.slice(0, max)}… (${value.length} characters)` : value);
    const where = inexact.path === '' ? 'the root' : shorten(inexact.path, 200);
    return refuse(400, `the number at ${where} (${shorten(inexact.literal, 40)}) cannot be stored exactly as a double; send it as a string, or rounded`);
  }
  const { depth, protoPath } = inspectJson(value, maxDepth);
  if (depth > maxDepth) return refuse(400, `the JSON is nested more than ${maxDepth} levels deep (MAX_JSON_DEPTH)`);
  if (protoPath !== undefined) return refuse(400, `the object key "__proto__" (at ${protoPath}) cannot be stored safely; rename it`);
  return ok(value);
}

function stateTextOf(value: Json, text?: string): StateText {
  const digest = digestState(value);
  return { text: text ?? JSON.stringify(value), hash: digest.hash.toString('hex'), bytes: digest.bytes };
}

/**
 * The value a state's text was made from, while the StateText object is the one this thread made:
 * a save planned on the thread that ingested its body (every state below OFFLOAD_FROM_BYTES) does
 * not parse the text again (bench/PROFILE.md: the new state was parsed twice per save). A
 * StateText that crossed threads is a copy, not in this map: its text is parsed. Never mutated by
 * its users (the diff and the replay check only read it).
 */
const parsedStates = new WeakMap<StateText, Json>();

function parsedState(state: StateText): Json {
  return parsedStates.get(state) ?? (JSON.parse(state.text) as Json);
}

/** A whole state sent by a client (PUT): parsed, checked, hashed and made compact. */
export function ingestState(input: { text: string; limits: StateLimits }): TaskResult<StateText> {
  const parsed = parseJsonDocument(input.text, input.limits.maxDepth);
  if (!parsed.ok) return parsed;
  const state = stateTextOf(parsed.value);
  parsedStates.set(state, parsed.value);
  return ok(state);
}

export interface IngestedPatch {
  /** The operations as compact JSON, with members RFC 6902 does not define dropped. */
  text: string;
  /** SHA-256 (hex) of the patch's canonical JSON: what identifies it for Idempotency-Key reuse. */
  hash: string;
}

const JSON_PATCH = pointer('components', 'schemas', 'JsonPatch');

/**
 * An RFC 6902 patch sent by a client (PATCH): parsed, and checked against openapi.yaml's JsonPatch
 * schema (the operations, their pointers, the members each needs). Members an operation does not
 * define are ignored (RFC 6902 §4): they are dropped here, so they neither are stored nor tell two
 * requests apart for Idempotency-Key.
 */
export function ingestPatch(input: { text: string; limits: StateLimits }): TaskResult<IngestedPatch> {
  // An operation adds two levels (the array and the operation object) around the values it carries.
  const parsed = parseJsonDocument(input.text, input.limits.maxDepth + 2);
  if (!parsed.ok) return parsed;
  const validate = schemaValidator(JSON_PATCH);
  if (!validate(parsed.value)) {
    return refuse(400, `the patch is not an RFC 6902 JSON Patch: ${describeFailure(validate.errors ?? [], { root: 'it', item: 'operation' })}`);
  }
  const operations = (parsed.value as JsonObject[]).map(({ op, path, from, value }) => {
    const operation: JsonObject = { op: op!, path: path! };
    if (op === 'move' || op === 'copy') operation.from = from!;
    if (op === 'add' || op === 'replace' || op === 'test') operation.value = value!;
    return operation;
  });
  const text = JSON.stringify(operations);
  return ok({ text, hash: createHash('sha256').update(canonicalJson(operations)).digest('hex') });
}

export interface PlannedVersion extends StateText {
  /**
   * The RFC 6902 patch from the head to this state, to store; undefined when the version is to
   * be stored whole (its patch is then the whole-document `add` or `replace` counted below).
   */
  patchText: string | undefined;
  ops: number;
  patchBytes: number;
}

/** A version stored whole: its patch is one operation on the root carrying the whole state. */
export function wholeStatePlan(state: StateText, op: 'add' | 'replace'): PlannedVersion {
  return { ...state, patchText: undefined, ops: 1, patchBytes: Buffer.byteLength(`[{"op":"${op}","path":"","value":}]`) + state.bytes };
}

/** No RFC 6902 operation is shorter than this in JSON (`{"op":"remove","path":""}`, and a comma). */
const MIN_OPERATION_BYTES = 27;

export type WritePlan = { unchanged: true } | ({ unchanged: false } & PlannedVersion);

/**
 * The next version after `head`: a whole state (a client's, or an earlier version's), or the head with a
 * client's patch applied (`patchText`, already ingested; held to the limits as each operation
 * applies). Then the patch to store, and the proof that it can be read back: the stored patch,
 * parsed from its text as a replay will, applied to the head must give exactly the new state. A
 * version that fails this is never written. (A version stored whole is its state's own text.)
 */
export function planWrite(input: {
  head: StateText;
  next: { state: StateText } | { patchText: string };
  limits: StateLimits;
  /** A patch larger than this fraction of its state is stored as the whole state (FULL_STATE_RATIO). */
  fullStateRatio: number;
}): TaskResult<WritePlan> {
  const { head, limits } = input;
  let after: Json;
  let state: StateText;
  if ('state' in input.next) {
    state = input.next.state;
    if (state.hash === head.hash) return ok({ unchanged: true });
    after = parsedState(state);
  } else {
    const patch = JSON.parse(input.next.patchText) as Operation[];
    try {
      after = applyPatch(JSON.parse(head.text) as Json, patch, {
        maxBytes: limits.maxBytes,
        maxDepth: limits.maxDepth,
        startBytes: head.bytes,
        // Room to copy, move or compare the whole state a few times over, and no more.
        maxWorkBytes: 4 * limits.maxBytes,
      });
    } catch (error) {
      if (!(error instanceof PatchConflictError)) throw error;
      const status = error.reason === 'too-large' || error.reason === 'too-much-work' ? 413 : 422;
      return refuse(status, error.message, error.operationIndex);
    }
    state = stateTextOf(after);
    if (state.hash === head.hash) return ok({ unchanged: true });
    if (state.bytes > limits.maxBytes) return refuse(413, `the state would be larger than ${limits.maxBytes} bytes (BODY_LIMIT_BYTES)`);
  }

  // The diff stops as soon as its patch could only be stored whole: a state rewritten
  // throughout costs one pass, not a patch as large as itself that nobody keeps.
  const wholeAbove = state.bytes * input.fullStateRatio;
  const before = JSON.parse(head.text) as Json;
  const operations = diff(before, after, Math.floor(wholeAbove / MIN_OPERATION_BYTES));
  if (!operations) return ok({ unchanged: false, ...wholeStatePlan(state, 'replace') });
  const patchText = JSON.stringify(operations);
  const patchBytes = Buffer.byteLength(patchText);
  if (patchBytes > wholeAbove) return ok({ unchanged: false, ...wholeStatePlan(state, 'replace') });
  let replayed: Json;
  try {
    // Every load of this version will replay the patch: held to a budget as a client's patch is,
    // a patch whose replay would shift more array elements than the two states have bytes (20,000
    // removals at the front of a 1,000,000-element array: 25 s, on each load) is stored whole.
    replayed = applyPatch(before, JSON.parse(patchText) as Operation[], {
      maxBytes: Number.POSITIVE_INFINITY,
      maxDepth: Number.POSITIVE_INFINITY,
      startBytes: head.bytes,
      // Its removals and replacements walk at most the head once; what is left is for shifting.
      maxWorkBytes: head.bytes + state.bytes,
    });
  } catch (error) {
    if (error instanceof PatchConflictError && error.reason === 'too-much-work') return ok({ unchanged: false, ...wholeStatePlan(state, 'replace') });
    return refuse(422, `this state cannot be stored as a patch that replays exactly: ${(error as Error).message}`);
  }
  // Equal structure is equal canonical JSON, so this is the hash check without hashing again.
  if (!jsonEqual(replayed, after)) return refuse(422, 'this state cannot be stored as a patch that replays exactly');
  return ok({ unchanged: false, ...state, patchText, ops: operations.length, patchBytes });
}

/**
 * A stored version's state: its checkpoint's text with the later patches replayed onto it,
 * checked against the hash recorded when it was saved.
 */
export function replayVersion(input: { checkpointText: string; patchTexts: string[]; expectedHash: string }): TaskResult<StateText> {
  let state = JSON.parse(input.checkpointText) as Json;
  try {
    for (const patchText of input.patchTexts) state = applyPatch(state, JSON.parse(patchText) as Operation[]);
  } catch (error) {
    return refuse(500, `a stored patch does not apply: ${(error as Error).message}`);
  }
  // A checkpoint alone is already the compact text of its state.
  const rebuilt = stateTextOf(state, input.patchTexts.length === 0 ? input.checkpointText : undefined);
  if (rebuilt.hash !== input.expectedHash) {
    return refuse(500, `the replayed state hash ${rebuilt.hash} does not match the stored ${input.expectedHash}`);
  }
  return ok(rebuilt);
}

/** A diff up to this long is answered as it is, even where replacing the whole document is shorter. */
const DIFF_ALWAYS_BYTES = 64 * 1024;

/**
 * The RFC 6902 patch that turns one state into another, as UTF-8 bytes: the answer can be tens
 * of MB, and encoding it is work for this thread, not for the event loop that sends it (a worker
 * hands the bytes over without a copy). Past DIFF_ALWAYS_BYTES it is never longer than the
 * replacement of the whole document, which it then is: the diff stops once it could only be
 * longer (a 16 MB state rewritten throughout was 5,500,000 operations, 200 MB, after 48 s of a
 * worker).
 */
export function diffStates(input: { fromText: string; toText: string }): TaskResult<{ patch: Uint8Array }> {
  const whole = `[{"op":"replace","path":"","value":${input.toText}}]`;
  const longest = Math.max(whole.length, DIFF_ALWAYS_BYTES);
  const operations = diff(JSON.parse(input.fromText) as Json, JSON.parse(input.toText) as Json, Math.floor(longest / MIN_OPERATION_BYTES));
  const patchText = operations && JSON.stringify(operations);
  return ok({ patch: Buffer.from(patchText !== undefined && patchText.length <= longest ? patchText : whole) });
}

export const stateTasks = { ingestState, ingestPatch, planWrite, replayVersion, diffStates };
export type StateTasks = typeof stateTasks;
export type StateTaskName = keyof StateTasks;

import type { Operation } from 'fast-json-patch';
import { escapePointerToken, isJsonObject, jsonEqual, type Json } from './json.js';

/**
 * Beyond this many differing array elements the edit-script search stops and the middle of the
 * array is diffed index by index: the patch is still exact, only no longer minimal.
 */
const MAX_EDIT_DISTANCE = 2048;
/**
 * The edit-script search costs about (elements in the middle) × (edit distance) steps; past this
 * many it stops the same way, so two long unrelated lists cost a bounded pass, not seconds.
 */
const MAX_ALIGNMENT_STEPS = 1 << 21;

/**
 * The RFC 6902 patch that turns `from` into `to`. Objects are diffed key by key, recursively.
 * Arrays are diffed so that the patch size follows the change: the common prefix and suffix are
 * skipped and the middle is aligned with Myers' O(ND) edit script, so inserting one row at the
 * front of a long table is one `add`, not a rewrite of every row after it (which is what an
 * index-by-index diff such as fast-json-patch's compare() produces).
 */
export function diff(from: Json, to: Json): Operation[];
/**
 * With `maxOps`: undefined as soon as the patch would have more operations than that, so a
 * caller that would store such a patch whole anyway stops paying for it.
 */
export function diff(from: Json, to: Json, maxOps: number): Operation[] | undefined;
export function diff(from: Json, to: Json, maxOps = Number.POSITIVE_INFINITY): Operation[] | undefined {
  const ops: Operation[] = [];
  const sink: OpSink = {
    push(operation) {
      if (ops.length >= maxOps) throw TOO_MANY_OPS;
      ops.push(operation);
    },
  };
  try {
    diffValue(from, to, '', sink);
  } catch (error) {
    if (error === TOO_MANY_OPS) return undefined;
    throw error;
  }
  return ops;
}

const TOO_MANY_OPS = new Error('too many operations');

/** Where the diff emits its operations: stops it once there are more than its bound. */
interface OpSink {
  push(operation: Operation): void;
}

function diffValue(from: Json, to: Json, path: string, ops: OpSink): void {
  if (from === to) return;
  if (Array.isArray(from) && Array.isArray(to)) {
    diffArray(from, to, path, ops);
  } else if (isJsonObject(from) && isJsonObject(to)) {
    diffObject(from, to, path, ops);
  } else if (!jsonEqual(from, to)) {
    ops.push({ op: 'replace', path, value: to });
  }
}

function diffObject(from: { [key: string]: Json }, to: { [key: string]: Json }, path: string, ops: OpSink): void {
  for (const key of Object.keys(from)) {
    if (!Object.prototype.hasOwnProperty.call(to, key)) {
      ops.push({ op: 'remove', path: `${path}/${escapePointerToken(key)}` });
    }
  }
  for (const key of Object.keys(to)) {
    const childPath = `${path}/${escapePointerToken(key)}`;
    if (Object.prototype.hasOwnProperty.call(from, key)) diffValue(from[key]!, to[key]!, childPath, ops);
    else ops.push({ op: 'add', path: childPath, value: to[key]! });
  }
}

function diffArray(from: Json[], to: Json[], path: string, ops: OpSink): void {
  let start = 0;
  const shorter = Math.min(from.length, to.length);
  while (start < shorter && jsonEqual(from[start]!, to[start]!)) start++;
  let fromEnd = from.length;
  let toEnd = to.length;
  while (fromEnd > start && toEnd > start && jsonEqual(from[fromEnd - 1]!, to[toEnd - 1]!)) {
    fromEnd--;
    toEnd--;
  }
  if (fromEnd === start && toEnd === start) return;

  const fromMiddle = from.slice(start, fromEnd);
  const toMiddle = to.slice(start, toEnd);
  const script =
    fromMiddle.length === toMiddle.length && fromMiddle.length <= 1
      ? undefined // one changed element: no alignment to find
      : editScript(fromMiddle.map(elementKey), toMiddle.map(elementKey));
  emitArrayOps(fromMiddle, toMiddle, script ?? positionalScript(fromMiddle.length, toMiddle.length), start, path, ops);
}

type Edit = 'keep' | 'delete' | 'insert';

/** Pairs elements by position: the fallback when alignment is too costly or pointless. */
function positionalScript(fromLength: number, toLength: number): Edit[] {
  const script: Edit[] = [];
  const common = Math.min(fromLength, toLength);
  for (let i = 0; i < common; i++) script.push('delete', 'insert');
  for (let i = common; i < fromLength; i++) script.push('delete');
  for (let i = common; i < toLength; i++) script.push('insert');
  return script;
}

/**
 * Turns an edit script into operations on `path`, left to right, tracking the index each element
 * has in the partly patched array. A run of deletes followed by inserts at one place pairs up
 * element by element and becomes a recursive diff of each pair, so editing one cell of a row is a
 * `replace` of that cell rather than a removal and re-insertion of the row.
 */
function emitArrayOps(from: Json[], to: Json[], script: Edit[], offset: number, path: string, ops: OpSink): void {
  let index = offset;
  let fromIndex = 0;
  let toIndex = 0;
  let i = 0;
  while (i < script.length) {
    if (script[i] === 'keep') {
      index++;
      fromIndex++;
      toIndex++;
      i++;
      continue;
    }
    let deletes = 0;
    let inserts = 0;
    while (i < script.length && script[i] !== 'keep') {
      if (script[i] === 'delete') deletes++;
      else inserts++;
      i++;
    }
    const paired = Math.min(deletes, inserts);
    for (let k = 0; k < paired; k++) {
      diffValue(from[fromIndex + k]!, to[toIndex + k]!, `${path}/${index + k}`, ops);
    }
    for (let k = paired; k < deletes; k++) ops.push({ op: 'remove', path: `${path}/${index + paired}` });
    for (let k = paired; k < inserts; k++) {
      ops.push({ op: 'add', path: `${path}/${index + k}`, value: to[toIndex + k]! });
    }
    fromIndex += deletes;
    toIndex += inserts;
    index += inserts;
  }
}

/**
 * Myers' greedy shortest edit script over element keys, or undefined when more than
 * MAX_EDIT_DISTANCE elements differ. Within one run of changes, deletes come before inserts.
 */
function editScript(a: string[], b: string[]): Edit[] | undefined {
  const n = a.length;
  const m = b.length;
  const limit = Math.min(n + m, MAX_EDIT_DISTANCE, Math.max(16, Math.floor(MAX_ALIGNMENT_STEPS / (n + m))));
  // An alignment keeps at most the elements the two lists have in common, so it needs at least
  // n + m - 2 × common edits: past the limit, give up before searching at all (unrelated lists).
  if (n + m - 2 * commonElements(a, b) > limit) return undefined;
  const offset = limit + 1;
  const v = new Int32Array(2 * limit + 3);
  // Only the diagonals -d..d of each round are kept: the trace grows as d², not as d × limit.
  const trace: Int32Array[] = [];
  for (let d = 0; d <= limit; d++) {
    trace.push(v.slice(offset - d, offset + d + 1));
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)) x = v[offset + k + 1]!;
      else x = v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, n, m, d);
    }
  }
  return undefined;
}

/** How many elements the two lists share, counted with multiplicity. */
function commonElements(a: string[], b: string[]): number {
  const counts = new Map<string, number>();
  for (const key of a) counts.set(key, (counts.get(key) ?? 0) + 1);
  let common = 0;
  for (const key of b) {
    const left = counts.get(key);
    if (left) {
      common++;
      counts.set(key, left - 1);
    }
  }
  return common;
}

/** The furthest x on diagonal k after round d (`round` holds diagonals -d..d, and d+1 for reads past it). */
function furthest(round: Int32Array, d: number, k: number): number {
  return k < -d || k > d ? 0 : round[k + d]!;
}

function backtrack(trace: Int32Array[], n: number, m: number, dFinal: number): Edit[] {
  const script: Edit[] = [];
  let x = n;
  let y = m;
  for (let d = dFinal; d > 0; d--) {
    // trace[d] is v as it was before round d: its diagonals -(d-1)..(d-1) hold round d-1's ends.
    const round = trace[d]!;
    const at = (k: number): number => furthest(round, d, k);
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      script.push('keep');
      x--;
      y--;
    }
    script.push(prevK === k + 1 ? 'insert' : 'delete');
    if (prevK === k + 1) y--;
    else x--;
  }
  while (x > 0 && y > 0) {
    script.push('keep');
    x--;
    y--;
  }
  return normalizeRuns(script.reverse());
}

/**
 * What aligns two array elements: their JSON text (native and fast). Two equal elements whose
 * keys are in another order get other keys; the alignment then pairs them as an edit, and the
 * recursive diff of the pair finds them equal, so the patch stays exact.
 */
function elementKey(element: Json): string {
  return JSON.stringify(element);
}

/** Within each run between two keeps, put the deletes first so runs pair up predictably. */
function normalizeRuns(script: Edit[]): Edit[] {
  const out: Edit[] = [];
  let deletes = 0;
  let inserts = 0;
  const flush = (): void => {
    for (let i = 0; i < deletes; i++) out.push('delete');
    for (let i = 0; i < inserts; i++) out.push('insert');
    deletes = 0;
    inserts = 0;
  };
  for (const edit of script) {
    if (edit === 'keep') {
      flush();
      out.push('keep');
    } else if (edit === 'delete') deletes++;
    else inserts++;
  }
  flush();
  return out;
}

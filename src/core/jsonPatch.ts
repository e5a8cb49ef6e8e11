import type { Operation } from 'fast-json-patch';
import { isJsonObject, jsonEqual, type Json, type JsonObject } from './json.js';

/**
 * RFC 6902 JSON Patch, applied by our own code rather than fast-json-patch's applyPatch: that one
 * resolves pointers through JavaScript properties, so `/constructor`, `/toString` or
 * `/hasOwnProperty` name inherited functions on every object, and a patch could store a function
 * or a missing value that no later replay reproduces. Here a JSON Pointer (RFC 6901) resolves a
 * document's own members only, array indexes are `0` or `[1-9][0-9]*` (never `01`), and `-` is
 * accepted only where RFC 6902 allows it: as the last token of an `add` (or the target of a
 * `move` or `copy`) into an array.
 *
 * A budget, when given, is checked as each operation applies: the size of the resulting state
 * (bytes of its JSON), its nesting depth, and the bytes this patch may walk in all (copies,
 * removals, comparisons, and the array elements an insertion or removal shifts, one byte each),
 * so a small patch cannot amplify a state (40 × `copy /a → /a/0` doubles it 40 times) or keep a
 * worker busy for minutes (40,000 × `add /a/1` on a 4,000,000-element array shifted it for 6).
 */

export type PatchFailure = 'conflict' | 'too-large' | 'too-deep' | 'too-much-work';

export class PatchConflictError extends Error {
  constructor(
    message: string,
    readonly operationIndex: number | undefined,
    readonly reason: PatchFailure = 'conflict',
  ) {
    super(message);
  }
}

export interface PatchBudget {
  /** The largest state allowed, in bytes of its compact JSON. */
  maxBytes: number;
  /** The deepest nesting allowed (a scalar is 0, `[]` is 1). */
  maxDepth: number;
  /** The document's size before the patch, in bytes of its compact JSON. */
  startBytes: number;
  /** The most bytes of values the patch may copy, remove, move, compare or shift (an array element: one byte), in all. */
  maxWorkBytes: number;
}

const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;

/** RFC 6901: the reference tokens of a pointer, or undefined when it is not a valid pointer. */
export function parsePointer(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  const tokens = pointer.slice(1).split('/');
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (/~(?![01])/.test(token)) return undefined;
    tokens[i] = token.replace(/~1/g, '/').replace(/~0/g, '~');
  }
  return tokens;
}

type Container = Json[] | JsonObject;

function isContainer(value: Json | undefined): value is Container {
  return typeof value === 'object' && value !== null;
}

/** The member `token` of `container`, looking at own members and valid indexes only. */
function member(container: Json, token: string): { value: Json } | undefined {
  if (Array.isArray(container)) {
    if (!ARRAY_INDEX.test(token)) return undefined;
    const index = Number(token);
    return index < container.length ? { value: container[index]! } : undefined;
  }
  if (isJsonObject(container) && Object.prototype.hasOwnProperty.call(container, token)) return { value: container[token]! };
  return undefined;
}

function resolve(document: Json, tokens: readonly string[]): { value: Json } | undefined {
  let current: { value: Json } | undefined = { value: document };
  for (const token of tokens) {
    current = member(current.value, token);
    if (!current) return undefined;
  }
  return current;
}

/** Size in bytes of the compact JSON of `value` (canonical JSON has the same length). */
function jsonBytes(value: Json): number {
  if (value === null) return 4;
  switch (typeof value) {
    case 'boolean':
      return value ? 4 : 5;
    case 'number':
      return JSON.stringify(value).length;
    case 'string':
      return stringBytes(value);
    default:
      break;
  }
  if (Array.isArray(value)) {
    let bytes = 2 + Math.max(0, value.length - 1);
    for (const item of value) bytes += jsonBytes(item);
    return bytes;
  }
  const keys = Object.keys(value);
  let bytes = 2 + Math.max(0, keys.length - 1);
  for (const key of keys) bytes += stringBytes(key) + 1 + jsonBytes(value[key]!);
  return bytes;
}

function stringBytes(text: string): number {
  // Plain printable ASCII needs no escaping: its JSON is the text and two quotes.
  return /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(text) ? text.length + 2 : Buffer.byteLength(JSON.stringify(text));
}

function jsonDepth(value: Json): number {
  if (!isContainer(value)) return 0;
  let deepest = 0;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    const depth = jsonDepth(item);
    if (depth > deepest) deepest = depth;
  }
  return deepest + 1;
}

/** A deep copy of a JSON value (plain data: no cycles, no prototypes to keep). */
function cloneJson(value: Json): Json {
  if (!isContainer(value)) return value;
  if (Array.isArray(value)) return value.map(cloneJson);
  const copy: JsonObject = {};
  for (const key of Object.keys(value)) setMember(copy, key, cloneJson(value[key]!));
  return copy;
}

/** Sets an own data member, whatever the key (a plain assignment to `__proto__` would set the prototype). */
function setMember(object: JsonObject, key: string, value: Json): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  else object[key] = value;
}

type Fail = (message: string, reason?: PatchFailure) => never;

class Applier {
  private bytes: number;
  private work = 0;
  /**
   * Members of the objects this patch has changed, counted once per object and then kept up to
   * date: the budget needs to know whether an object is empty, and Object.keys() of an object
   * with 100,000 members takes 150 ms, so counting them for each operation let 200 adds to
   * such an object hold a thread for 30 s.
   */
  private readonly memberCounts = new WeakMap<JsonObject, number>();

  constructor(
    private document: Json,
    private readonly budget: PatchBudget | undefined,
  ) {
    this.bytes = budget?.startBytes ?? 0;
  }

  result(): Json {
    return this.document;
  }

  apply(operation: Operation, index: number): void {
    const fail: Fail = (message, reason = 'conflict') => {
      throw new PatchConflictError(`operation ${index} (${operation.op} ${operation.path}): ${message}`, index, reason);
    };
    const path = parsePointer(operation.path);
    if (!path) fail('the path is not a JSON Pointer');
    const from = 'from' in operation ? parsePointer(operation.from) : undefined;
    if ((operation.op === 'move' || operation.op === 'copy') && !from) fail('the "from" is not a JSON Pointer');

    switch (operation.op) {
      case 'add':
        this.add(path!, (operation as { value: Json }).value, fail);
        return;
      case 'remove':
        this.remove(path!, fail);
        return;
      case 'replace':
        this.replace(path!, (operation as { value: Json }).value, fail);
        return;
      case 'move': {
        if (isPrefix(from!, path!) && from!.length < path!.length) fail('a value cannot be moved into one of its own children');
        const found = resolve(this.document, from!);
        if (!found) fail('the "from" path does not exist in the document');
        if (from!.length === path!.length && isPrefix(from!, path!)) return;
        this.remove(from!, fail);
        this.add(path!, found!.value, fail);
        return;
      }
      case 'copy': {
        const found = resolve(this.document, from!);
        if (!found) fail('the "from" path does not exist in the document');
        this.spend(jsonBytes(found!.value), fail);
        this.add(path!, cloneJson(found!.value), fail);
        return;
      }
      case 'test': {
        const found = resolve(this.document, path!);
        if (!found) fail('the path does not exist in the document');
        const expected = (operation as { value: Json }).value;
        if (this.budget) this.spend(jsonBytes(expected), fail);
        if (!jsonEqual(found!.value, expected)) fail('the test failed: the value at the path is not the one given');
        return;
      }
      default:
        fail(`"${(operation as { op: string }).op}" is not an RFC 6902 operation`);
    }
  }

  private spend(bytes: number, fail: Fail): void {
    if (!this.budget) return;
    this.work += bytes;
    if (this.work > this.budget.maxWorkBytes) {
      fail(
        `the patch copies, moves, removes, compares or shifts more than ${this.budget.maxWorkBytes} bytes of values in all (an array element shifted counts as one)`,
        'too-much-work',
      );
    }
  }

  private add(path: readonly string[], value: Json, fail: Fail): void {
    const valueBytes = this.budget ? jsonBytes(value) : 0;
    if (this.budget && path.length + jsonDepth(value) > this.budget.maxDepth) {
      fail(`the state would be nested more than ${this.budget.maxDepth} levels deep (MAX_JSON_DEPTH)`, 'too-deep');
    }
    if (path.length === 0) {
      this.grow(valueBytes - this.bytes, fail);
      this.document = value;
      return;
    }
    const parent = resolve(this.document, path.slice(0, -1));
    const token = path[path.length - 1]!;
    if (!parent || !isContainer(parent.value)) fail('the parent of the path does not exist or is not an object or array');
    const container = parent!.value as Container;
    if (Array.isArray(container)) {
      const index = token === '-' ? container.length : ARRAY_INDEX.test(token) ? Number(token) : -1;
      if (index < 0) fail('the last token of the path is not an array index or "-"');
      if (index > container.length) fail('the array index is past the end of the array');
      // The elements after the index move up one place.
      this.spend(container.length - index, fail);
      this.grow(valueBytes + (container.length > 0 ? 1 : 0), fail);
      container.splice(index, 0, value);
      return;
    }
    const object = container as JsonObject;
    if (Object.prototype.hasOwnProperty.call(object, token)) {
      const old = object[token]!;
      this.grow(valueBytes - (this.budget ? jsonBytes(old) : 0), fail);
    } else if (this.budget) {
      const members = this.members(object);
      this.grow(stringBytes(token) + 1 + valueBytes + (members > 0 ? 1 : 0), fail);
      this.memberCounts.set(object, members + 1);
    }
    setMember(object, token, value);
  }

  private members(object: JsonObject): number {
    let count = this.memberCounts.get(object);
    if (count === undefined) {
      count = Object.keys(object).length;
      this.memberCounts.set(object, count);
    }
    return count;
  }

  /** Replaces an existing value where it stands (an array element in place: no shifting). */
  private replace(path: readonly string[], value: Json, fail: Fail): void {
    if (path.length === 0) {
      this.add(path, value, fail);
      return;
    }
    const parent = resolve(this.document, path.slice(0, -1));
    const token = path[path.length - 1]!;
    const found = parent ? member(parent.value, token) : undefined;
    if (!parent || !found) fail('the path does not exist in the document');
    if (this.budget) {
      if (path.length + jsonDepth(value) > this.budget.maxDepth) {
        fail(`the state would be nested more than ${this.budget.maxDepth} levels deep (MAX_JSON_DEPTH)`, 'too-deep');
      }
      const old = jsonBytes(found!.value);
      this.spend(old, fail);
      this.grow(jsonBytes(value) - old, fail);
    }
    const container = parent!.value as Container;
    if (Array.isArray(container)) container[Number(token)] = value;
    else setMember(container as JsonObject, token, value);
  }

  private remove(path: readonly string[], fail: Fail): void {
    if (path.length === 0) fail('the whole document cannot be removed (replace it instead)');
    const parent = resolve(this.document, path.slice(0, -1));
    const token = path[path.length - 1]!;
    const found = parent ? member(parent.value, token) : undefined;
    if (!parent || !found) fail('the path does not exist in the document');
    if (this.budget) {
      const removed = jsonBytes(found!.value);
      const container = parent!.value as Container;
      // An array element's removal also moves every element after it down one place.
      this.spend(removed + (Array.isArray(container) ? container.length - 1 - Number(token) : 0), fail);
      const siblings = Array.isArray(container) ? container.length : this.members(container as JsonObject);
      const separator = siblings > 1 ? 1 : 0;
      this.bytes -= Array.isArray(container) ? removed + separator : stringBytes(token) + 1 + removed + separator;
      if (!Array.isArray(container)) this.memberCounts.set(container as JsonObject, siblings - 1);
    }
    const container = parent!.value as Container;
    if (Array.isArray(container)) container.splice(Number(token), 1);
    else delete (container as JsonObject)[token];
  }

  private grow(delta: number, fail: Fail): void {
    if (!this.budget) return;
    this.bytes += delta;
    if (this.bytes > this.budget.maxBytes) {
      fail(`the state would be larger than ${this.budget.maxBytes} bytes (BODY_LIMIT_BYTES)`, 'too-large');
    }
  }
}

function isPrefix(prefix: readonly string[], path: readonly string[]): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== path[i]) return false;
  return true;
}

/**
 * Applies `patch` to `document`, which the caller owns and lets this change (values from the
 * patch are placed into it as they are), and returns the result. A patch that does not apply, or
 * that breaks the budget, throws PatchConflictError naming the operation; the document is then in
 * an unspecified state and must be dropped.
 */
export function applyPatch(document: Json, patch: readonly Operation[], budget?: PatchBudget): Json {
  const applier = new Applier(document, budget);
  patch.forEach((operation, index) => applier.apply(operation, index));
  return applier.result();
}

import { createHash } from 'node:crypto';

/** Any JSON value: what a session state, or a patch, may be. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isJsonObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * JSON with object keys sorted (by UTF-16 code units, like JSON.stringify order of Object.keys
 * after sorting), so that two equal states have one text and one hash whatever their key order.
 */
export function canonicalJson(value: Json): string {
  // Hot path (every save hashes its whole state): one string built by appending, no arrays.
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += canonicalJson(value[i]!);
    }
    return `${out}]`;
  }
  const keys = Object.keys(value).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (i > 0) out += ',';
    out += JSON.stringify(key);
    out += ':';
    out += canonicalJson(value[key]!);
  }
  return `${out}}`;
}

export interface StateDigest {
  /** SHA-256 of the canonical JSON, 32 bytes. */
  hash: Buffer;
  /** UTF-8 length of the canonical JSON. */
  bytes: number;
}

export function digestState(state: Json): StateDigest {
  const text = canonicalJson(state);
  return { hash: createHash('sha256').update(text).digest(), bytes: Buffer.byteLength(text) };
}

/** Structural equality of two JSON values; key order does not matter. */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i]!, b[i]!)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  for (const key of aKeys) {
    if (!Object.prototype.hasOwnProperty.call(b, key)) return false;
    if (!jsonEqual(a[key]!, b[key]!)) return false;
  }
  return true;
}

export interface JsonInspection {
  /** Deepest nesting of arrays and objects (a scalar is 0, `[]` and `{}` are 1). */
  depth: number;
  /** The JSON Pointer of the first object key named `__proto__`, if any. */
  protoPath: string | undefined;
}

/**
 * One iterative walk over a parsed value (so its depth cannot overflow the stack): how deep it
 * nests, and where the first object key `__proto__` is. Such a key cannot be stored safely:
 * applying a patch through it would reach Object.prototype in JavaScript clients. The walk stops
 * as soon as it is deeper than `maxDepth` or finds such a key.
 */
export function inspectJson(value: Json, maxDepth = Number.POSITIVE_INFINITY): JsonInspection {
  let deepest = 0;
  const stack: Array<{ value: Json; depth: number; path: string | undefined }> = [{ value, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { value: current, depth, path } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    const level = depth + 1;
    if (level > deepest) {
      deepest = level;
      if (deepest > maxDepth) return { depth: deepest, protoPath: undefined };
    }
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) {
        const child = current[i]!;
        if (child !== null && typeof child === 'object') stack.push({ value: child, depth: level, path: undefined });
      }
      continue;
    }
    if (Object.prototype.hasOwnProperty.call(current, '__proto__')) {
      return { depth: deepest, protoPath: `${path ?? locate(value, current)}/__proto__` };
    }
    for (const key in current) {
      const child = current[key]!;
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: level, path: undefined });
    }
  }
  return { depth: deepest, protoPath: undefined };
}

/** The JSON Pointer of `target` inside `root` (only for error messages: paths are not kept on the hot walk). */
function locate(root: Json, target: Json): string {
  const stack: Array<{ value: Json; path: string }> = [{ value: root, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (value === target) return path;
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) value.forEach((child, i) => stack.push({ value: child, path: `${path}/${i}` }));
    else for (const key of Object.keys(value)) stack.push({ value: value[key]!, path: `${path}/${escapePointerToken(key)}` });
  }
  return '';
}

/** RFC 6901: `~` becomes `~0`, `/` becomes `~1`. */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function unescapePointerToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

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
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  const parts = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    parts[i] = `${JSON.stringify(key)}:${canonicalJson(value[key]!)}`;
  }
  return `{${parts.join(',')}}`;
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

/**
 * Deepest nesting of arrays and objects in a JSON text, found without parsing it, so that an
 * absurdly deep document is refused before any recursive code walks it.
 */
export function jsonTextDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return deepest;
}

/**
 * The JSON Pointer of the first object key named `__proto__`, or undefined. Such a key cannot be
 * stored safely: applying a patch through it would reach Object.prototype in JavaScript clients.
 * Iterative, so the depth of the value does not matter.
 */
export function findProtoKey(value: Json): string | undefined {
  const stack: Array<{ value: Json; path: string }> = [{ value, path: '' }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) stack.push({ value: current[i]!, path: `${path}/${i}` });
      continue;
    }
    if (Object.prototype.hasOwnProperty.call(current, '__proto__')) return `${path}/__proto__`;
    for (const key of Object.keys(current)) {
      stack.push({ value: current[key]!, path: `${path}/${escapePointerToken(key)}` });
    }
  }
  return undefined;
}

/** RFC 6901: `~` becomes `~0`, `/` becomes `~1`. */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function unescapePointerToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

import type { Json } from '../core/json.js';

/**
 * Binary values as JSON, in the format of Baileys' `BufferJSON`: every Buffer or Uint8Array, at
 * any depth, is `{"type":"Buffer","data":"<base64>"}`; everything else is what JSON.stringify makes
 * of it (toJSON() honoured, undefined members left out). So a stored value is exactly the text
 * `useMultiFileAuthState` writes to its file, and `JSON.parse(text, BufferJSON.reviver)` reads it.
 *
 * Unlike BufferJSON.replacer, only real binary values are converted (an object that merely looks
 * like `{type: 'Buffer', data: [...]}` stays as it is), and a value already in the stored form
 * is not encoded twice.
 */
export function toBufferJson(value: unknown): Json | undefined {
  const text = JSON.stringify(value, function (this: Record<string, unknown>, key: string, converted: unknown) {
    // `converted` is after toJSON(): a Buffer has become {type, data: number[]}; the holder has the original.
    const original = this[key];
    if (original instanceof Uint8Array) {
      return { type: 'Buffer', data: Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64') };
    }
    return converted;
  });
  return text === undefined ? undefined : (JSON.parse(text) as Json);
}

/**
 * The inverse: every `{"type":"Buffer","data":"<base64>"}` becomes a Buffer (the bytes exactly; a
 * stored Uint8Array comes back as a Buffer, which is one). Builds new objects throughout.
 */
export function fromBufferJson(value: Json): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(fromBufferJson);
  if (value.type === 'Buffer' && typeof value.data === 'string') return Buffer.from(value.data, 'base64');
  const result: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    Object.defineProperty(result, key, { value: fromBufferJson(member), enumerable: true, writable: true, configurable: true });
  }
  return result;
}

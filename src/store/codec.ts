import { promisify } from 'node:util';
import { deflateRaw, inflateRaw } from 'node:zlib';

const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);

export const ENCODING_JSON = 0;
export const ENCODING_DEFLATE = 1;

/** Below this size compression gains too little to pay for itself. */
const COMPRESS_FROM_BYTES = 512;

export interface EncodedBody {
  encoding: number;
  body: Buffer;
}

/**
 * JSON text as stored in a LONGBLOB: compressed (raw deflate, on the libuv thread pool so the
 * event loop stays free) when that makes it at least a tenth smaller.
 */
export async function encodeJson(text: string): Promise<EncodedBody> {
  const raw = Buffer.from(text);
  if (raw.length < COMPRESS_FROM_BYTES) return { encoding: ENCODING_JSON, body: raw };
  const compressed = await deflate(raw, { level: 6 });
  if (compressed.length > raw.length * 0.9) return { encoding: ENCODING_JSON, body: raw };
  return { encoding: ENCODING_DEFLATE, body: compressed };
}

/** The JSON text of a stored body. */
export async function decodeJson({ encoding, body }: EncodedBody): Promise<string> {
  if (encoding === ENCODING_JSON) return body.toString('utf8');
  if (encoding === ENCODING_DEFLATE) return (await inflate(body)).toString('utf8');
  throw new Error(`unknown body encoding ${encoding}`);
}

/**
 * A stored body parsed: a value of its own on every call. For the operator tools (the request
 * path keeps states as text); `T` is what the caller knows was stored there.
 */
export async function decodeJsonValue<T>(stored: EncodedBody): Promise<T> {
  return JSON.parse(await decodeJson(stored)) as T;
}

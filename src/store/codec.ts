import { promisify } from 'node:util';
import { deflateRaw, deflateRawSync, inflateRaw, inflateRawSync } from 'node:zlib';

const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);

export const ENCODING_JSON = 0;
export const ENCODING_DEFLATE = 1;

/** Below this size compression gains too little to pay for itself. */
const COMPRESS_FROM_BYTES = 512;

/**
 * Up to this size a body is (de)compressed on the event loop: a trip to the libuv thread pool
 * costs more than the work (a load of an older version inflates up to CHECKPOINT_EVERY patches;
 * each async inflate was a tenth of its time, bench/PROFILE.md), and 64 KiB takes well under a
 * millisecond. Larger bodies (checkpoints of large states) still go to the thread pool.
 */
const INLINE_ZLIB_BYTES = 64 * 1024;

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
  const compressed = raw.length <= INLINE_ZLIB_BYTES ? deflateRawSync(raw, { level: 6 }) : await deflate(raw, { level: 6 });
  if (compressed.length > raw.length * 0.9) return { encoding: ENCODING_JSON, body: raw };
  return { encoding: ENCODING_DEFLATE, body: compressed };
}

/** The JSON text of a stored body. */
export async function decodeJson({ encoding, body }: EncodedBody): Promise<string> {
  if (encoding === ENCODING_JSON) return body.toString('utf8');
  // A compressed body inflates to several times its size: inline only when it is small.
  if (encoding === ENCODING_DEFLATE) return (body.length <= INLINE_ZLIB_BYTES / 8 ? inflateRawSync(body) : await inflate(body)).toString('utf8');
  throw new Error(`unknown body encoding ${encoding}`);
}

/**
 * A stored body parsed: a value of its own on every call. For the operator tools (the request
 * path keeps states as text); `T` is what the caller knows was stored there.
 */
export async function decodeJsonValue<T>(stored: EncodedBody): Promise<T> {
  return JSON.parse(await decodeJson(stored)) as T;
}

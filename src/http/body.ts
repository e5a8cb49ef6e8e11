import type { Context, Middleware } from 'koa';
import getRawBody from 'raw-body';
import { createBrotliDecompress, createUnzip } from 'node:zlib';
import type { Transform } from 'node:stream';
import type { Json } from '../core/json.js';
import { parseJsonDocument } from '../core/stateTasks.js';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors.js';

export const JSON_TYPE = 'application/json';
export const JSON_PATCH_TYPE = 'application/json-patch+json';

const READ_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const JSON_TYPES = [JSON_TYPE, JSON_PATCH_TYPE, '+json'];
// Fatal: a byte sequence that is not UTF-8 is refused, never replaced by U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads JSON request bodies as text into `ctx.request.body`, exactly as sent or not at all: a
 * charset other than UTF-8 is a 415, bytes that are not UTF-8 a 400. Content-Encoding gzip,
 * deflate or br (any letter case) is inflated, and the limit (413) holds for the inflated bytes,
 * so a zip bomb stops at the limit; a corrupt compressed body is a 400. JSON parsing is ours, so
 * that depth and `__proto__` are checked with clear messages.
 */
export function bodyReader(limitBytes: number): Middleware {
  return async (ctx, next) => {
    if (READ_METHODS.has(ctx.method) && ctx.is(JSON_TYPES)) {
      const charset = ctx.request.charset.toLowerCase();
      if (charset !== '' && charset !== 'utf-8' && charset !== 'utf8') {
        throw new UnsupportedMediaTypeError(`the request body must be JSON encoded as UTF-8, not charset=${ctx.request.charset}`);
      }
      let bytes: Buffer;
      try {
        bytes = await readBodyBytes(ctx, limitBytes);
      } catch (error) {
        // The rest of a body refused part way (too large, corrupt) is read and dropped, as Node does
        // with a body nobody reads: left unread, a client that sends its whole body before reading
        // the answer (Python's http.client, a chunked or compressed body) waited on a connection
        // the server had stopped reading, until it timed out.
        ctx.req.unpipe();
        ctx.req.resume();
        throw error;
      }
      try {
        (ctx.request as { body?: unknown }).body = utf8.decode(bytes);
      } catch {
        throw new ValidationError('the request body is not valid UTF-8; send JSON encoded as UTF-8');
      }
    }
    await next();
  };
}

/** The body's bytes, inflated. raw-body's errors (413, Content-Length mismatch, aborted) become problems in problem.ts. */
async function readBodyBytes(ctx: Context, limitBytes: number): Promise<Buffer> {
  const coding = (ctx.get('Content-Encoding') || 'identity').trim().toLowerCase();
  if (coding === 'identity') return getRawBody(ctx.req, { limit: limitBytes, length: ctx.get('Content-Length') || undefined });
  let decoder: Transform;
  if (coding === 'gzip' || coding === 'deflate') decoder = createUnzip(); // gzip or zlib, told apart by the header
  else if (coding === 'br') decoder = createBrotliDecompress();
  else throw new UnsupportedMediaTypeError(`Content-Encoding ${coding} is not supported; send identity, gzip, deflate or br`);
  let requestFailed = false;
  // pipe(), not pipeline(): a corrupt body must not destroy the request, whose socket answers 400.
  ctx.req.once('error', (error) => {
    requestFailed = true;
    decoder.destroy(error);
  });
  ctx.req.pipe(decoder);
  try {
    return await getRawBody(decoder, { limit: limitBytes });
  } catch (error) {
    ctx.req.unpipe(decoder);
    decoder.destroy();
    if (typeof (error as { status?: unknown }).status === 'number') throw error;
    if (requestFailed) throw new ValidationError('the client closed the request before its body was complete');
    throw new ValidationError(`the request body is not valid ${coding} data (${(error as Error).message})`);
  }
}

/**
 * The request body as JSON text of the given media type, not parsed: states and patches are
 * parsed and checked by the state tasks (on a worker thread when large). A wrong Content-Type is
 * a 415, an empty body a 400.
 */
export function readJsonText(ctx: Context, mediaType: string): string {
  if (!ctx.is(mediaType)) {
    const given = ctx.get('Content-Type') || 'none';
    throw new UnsupportedMediaTypeError(`${ctx.method} ${ctx.path} takes Content-Type: ${mediaType}, not ${given}`);
  }
  const text = (ctx.request as { body?: unknown }).body;
  if (typeof text !== 'string' || text.trim() === '') throw new ValidationError('the request body is empty; send a JSON value');
  return text;
}

/**
 * Small JSON documents (restore, fork, key requests): parsed here, on the event loop, so they are
 * held to a size that costs no noticeable time to parse, and checked as every body is.
 */
export const SMALL_DOCUMENT_BYTES = 64 * 1024;

export function readJsonBody(ctx: Context, mediaType: string, maxDepth: number): Json {
  const text = readJsonText(ctx, mediaType);
  if (text.length > SMALL_DOCUMENT_BYTES) {
    throw new PayloadTooLargeError(`${ctx.method} ${ctx.path} takes a body of at most ${SMALL_DOCUMENT_BYTES} bytes`);
  }
  const parsed = parseJsonDocument(text, maxDepth);
  if (!parsed.ok) throw new ValidationError(parsed.problem.detail);
  return parsed.value;
}

/** Requests that must not carry a body (the route takes none). */
export function assertNoBody(ctx: Context): void {
  const text = (ctx.request as { body?: unknown }).body;
  if (typeof text === 'string' && text.trim() !== '') throw new ValidationError(`${ctx.method} ${ctx.path} takes no body`);
}

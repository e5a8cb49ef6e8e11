import type { Context, Middleware } from 'koa';
import { HttpMethodEnum, koaBody } from 'koa-body';
import { inspectJson, type Json } from '../core/json.js';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors.js';

export const JSON_TYPE = 'application/json';
export const JSON_PATCH_TYPE = 'application/json-patch+json';

/**
 * Reads request bodies as text (koa-body: size limit → 413, Content-Encoding gzip/deflate/br in
 * any case, a body that does not decode → 400, charset). JSON parsing is ours, so that depth and
 * `__proto__` are checked with clear messages.
 */
export function bodyReader(limitBytes: number): Middleware {
  const read = textBodyReader(limitBytes);
  return async function readBody(ctx: Context, next: () => Promise<unknown>): Promise<void> {
    // Content codings are case-insensitive (RFC 9110 §8.4.1); the decoder knows them in lower case.
    const coding = ctx.req.headers['content-encoding'];
    if (coding !== undefined) ctx.req.headers['content-encoding'] = coding.trim().toLowerCase();
    let bodyRead = false;
    try {
      await read(ctx, () => {
        bodyRead = true;
        return next();
      });
    } catch (error) {
      // zlib and brotli report corrupt or truncated data with no HTTP status: the client's bytes.
      if (!bodyRead && coding !== undefined && isDecodingError(error)) {
        throw new ValidationError(`the request body is not valid ${ctx.req.headers['content-encoding']} data: ${(error as Error).message}`);
      }
      throw error;
    }
  };
}

function isDecodingError(error: unknown): boolean {
  const { code, status } = (error ?? {}) as { code?: unknown; status?: unknown };
  return status === undefined && typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR__ERROR_') || code.startsWith('ERR_BROTLI'));
}

function textBodyReader(limitBytes: number): Middleware {
  return koaBody({
    json: false,
    urlencoded: false,
    multipart: false,
    text: true,
    textTypes: [JSON_TYPE, JSON_PATCH_TYPE, '+json'],
    textLimit: limitBytes,
    parsedMethods: [HttpMethodEnum.POST, HttpMethodEnum.PUT, HttpMethodEnum.PATCH, HttpMethodEnum.DELETE],
  }) as Middleware;
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
 * held to a size that costs no noticeable time to parse. An over-deep body, or one with an
 * object key `__proto__` anywhere, is a 400.
 */
export const SMALL_DOCUMENT_BYTES = 64 * 1024;

export function readJsonBody(ctx: Context, mediaType: string, maxDepth: number): Json {
  const text = readJsonText(ctx, mediaType);
  if (text.length > SMALL_DOCUMENT_BYTES) {
    throw new PayloadTooLargeError(`${ctx.method} ${ctx.path} takes a body of at most ${SMALL_DOCUMENT_BYTES} bytes`);
  }
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch (error) {
    throw new ValidationError(`the request body is not valid JSON: ${(error as Error).message}`);
  }
  const { depth, protoPath } = inspectJson(value, maxDepth);
  if (depth > maxDepth) {
    throw new ValidationError(`the JSON is nested more than ${maxDepth} levels deep (MAX_JSON_DEPTH)`);
  }
  if (protoPath !== undefined) {
    throw new ValidationError(`the object key "__proto__" (at ${protoPath}) cannot be stored safely; rename it`);
  }
  return value;
}

/** Requests that must not carry a body (the route takes none). */
export function assertNoBody(ctx: Context): void {
  const text = (ctx.request as { body?: unknown }).body;
  if (typeof text === 'string' && text.trim() !== '') throw new ValidationError(`${ctx.method} ${ctx.path} takes no body`);
}

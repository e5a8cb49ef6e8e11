import Router, { type RouterContext } from '@koa/router';
import { Transform, type TransformCallback } from 'node:stream';
import { createBrotliDecompress, createUnzip } from 'node:zlib';
import type { Context } from 'koa';
import { exportStream, openExport } from '../../exchange/export.js';
import { NDJSON_TYPE } from '../../exchange/format.js';
import { importSession } from '../../exchange/import.js';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../errors.js';
import type { StoreContext } from '../../sessions/context.js';
import type { AppConfig } from '../app.js';
import type { Guards } from '../auth.js';
import { createRouter } from '../routing.js';
import { checkRequest } from '../validation.js';

/** GET /v1/sessions/{sid}/export and POST /v1/sessions/{sid}/import: a session as an NDJSON file, and back. */
export function exchangeRoutes(
  ctx: StoreContext,
  access: Guards,
  tenantOf: (c: RouterContext) => string,
  config: Pick<AppConfig, 'importLimitBytes'>,
): Router {
  const router = createRouter();

  router.get('/v1/sessions/:sid/export', access.read, async (c) => {
    const { path } = checkRequest(c, 'exportSession');
    const exported = await openExport(ctx.pool, tenantOf(c), path.sid);
    c.type = NDJSON_TYPE;
    c.body = exportStream(exported);
  });

  router.post('/v1/sessions/:sid/import', access.write, async (c) => {
    const { path } = checkRequest(c, 'importSession');
    if (!c.is(NDJSON_TYPE)) {
      throw new UnsupportedMediaTypeError(`POST ${c.path} takes Content-Type: ${NDJSON_TYPE} (an export), not ${c.get('Content-Type') || 'none'}`);
    }
    try {
      const result = await importSession(ctx.pool, tenantOf(c), path.sid, importBody(c, config.importLimitBytes), {
        policy: ctx.policy,
        limits: ctx.limits,
      });
      c.status = 201;
      c.body = {
        session_id: result.sessionId,
        first_version: result.firstVersion,
        head_version: result.headVersion,
        versions: result.versions,
        checkpoints: result.checkpoints,
      };
    } finally {
      // A file refused part way: the rest is read and dropped, so that a client sending its whole
      // body before reading the answer gets it (as body.ts does for JSON bodies).
      if (!c.req.readableEnded) {
        c.req.unpipe();
        c.req.resume();
      }
    }
  });

  return router;
}

/**
 * The request body as it streams, inflated (Content-Encoding gzip, deflate or br), held to
 * `limit` bytes both as sent and as inflated (413 once past it).
 */
function importBody(c: Context, limit: number): AsyncIterable<Buffer> {
  const coding = (c.get('Content-Encoding') || 'identity').trim().toLowerCase();
  const stages: Transform[] = [byteLimit(limit, 'as sent')];
  if (coding === 'gzip' || coding === 'deflate') stages.push(createUnzip(), byteLimit(limit, 'inflated'));
  else if (coding === 'br') stages.push(createBrotliDecompress(), byteLimit(limit, 'inflated'));
  else if (coding !== 'identity') throw new UnsupportedMediaTypeError(`Content-Encoding ${coding} is not supported; send identity, gzip, deflate or br`);
  // pipe(), not pipeline(): a refused body must not destroy the request, whose socket answers.
  // Each stage's error is passed on to the last, which the import reads.
  // Refused before the import reads (its transaction opening): the error waits for the reader.
  for (const stage of stages) stage.on('error', () => undefined);
  c.req.pipe(stages[0]!);
  for (let i = 1; i < stages.length; i++) {
    stages[i - 1]!.pipe(stages[i]!);
    stages[i - 1]!.once('error', (error) => stages[i]!.destroy(error));
  }
  c.req.once('error', (error) => stages[0]!.destroy(error));
  // A client gone before its file ended: the import must stop (and roll back), not wait for more.
  c.req.once('close', () => {
    if (!c.req.readableEnded) stages[0]!.destroy(new ValidationError('the client closed the request before its file was complete'));
  });
  const inflated = stages.at(-1)!;
  return (async function* () {
    try {
      for await (const chunk of inflated as AsyncIterable<Buffer>) yield chunk;
    } catch (error) {
      if (error instanceof PayloadTooLargeError) throw error;
      if (coding !== 'identity' && (error as { code?: string }).code?.startsWith('Z_')) {
        throw new ValidationError(`the request body is not valid ${coding} data (${(error as Error).message})`);
      }
      throw error;
    }
  })();
}

function byteLimit(limit: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      seen += chunk.length;
      if (seen > limit) callback(new PayloadTooLargeError(`the file is larger (${what}) than IMPORT_LIMIT_BYTES, ${limit} bytes; nothing was imported`));
      else callback(null, chunk);
    },
  });
}

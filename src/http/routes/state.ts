import Router, { type RouterContext } from '@koa/router';
import { httpDate } from '../../core/time.js';
import type { StoreContext } from '../../sessions/context.js';
import { loadState, type VersionSelector } from '../../sessions/load.js';
import { patchState, saveState } from '../../sessions/save.js';
import { JSON_PATCH_TYPE, JSON_TYPE, readJsonText } from '../body.js';
import { sendWriteAnswer } from '../responses.js';
import { ValidationError } from '../../errors.js';
import { ifNoneMatchVersions, instant, parseQuery, positiveInteger, sessionIdParam, text, writeConditions } from '../validation.js';
import type { Guards } from '../auth.js';
import { createRouter } from '../routing.js';

const writeQuery = { message: text(1000), author: text(200) };

/** PUT, PATCH, GET and HEAD /v1/sessions/{sid}/state. */
export function stateRoutes(ctx: StoreContext, access: Guards, tenantOf: (c: RouterContext) => string): Router {
  const router = createRouter();

  router.put('/v1/sessions/:sid/state', access.write, async (c) => {
    const sessionId = sessionIdParam(c);
    const query = parseQuery(c, writeQuery);
    const body = readJsonText(c, JSON_TYPE);
    const outcome = await saveState(ctx, tenantOf(c), sessionId, body, writeConditions(c, query));
    sendWriteAnswer(c, outcome);
  });

  router.patch('/v1/sessions/:sid/state', access.write, async (c) => {
    const sessionId = sessionIdParam(c);
    const query = parseQuery(c, writeQuery);
    const body = readJsonText(c, JSON_PATCH_TYPE);
    const conditions = writeConditions(c, query);
    if (conditions.createOnly) throw new ValidationError('If-None-Match: * does not apply to PATCH, which needs an existing session');
    const outcome = await patchState(ctx, tenantOf(c), sessionId, body, conditions);
    sendWriteAnswer(c, outcome);
  });

  router.get('/v1/sessions/:sid/state', access.read, async (c) => {
    const sessionId = sessionIdParam(c);
    const query = parseQuery(c, { version: positiveInteger, at: instant });
    if (query.version !== undefined && query.at !== undefined) {
      throw new ValidationError('give either version or at, not both');
    }
    const selector: VersionSelector =
      query.version !== undefined ? { version: query.version } : query.at !== undefined ? { at: query.at } : { latest: true };
    const notModified = ifNoneMatchVersions(c);
    const loaded = await loadState(ctx, tenantOf(c), sessionId, selector);
    c.set('ETag', `"${loaded.version}"`);
    c.set('Snapshot-Version', String(loaded.version));
    c.set('Last-Modified', httpDate(loaded.createdAt));
    c.set('Cache-Control', 'no-cache');
    if (notModified === '*' || notModified?.has(loaded.version)) {
      c.status = 304;
      return;
    }
    c.type = JSON_TYPE;
    c.body = loaded.state.text;
  });

  return router;
}

import Router, { type RouterContext } from '@koa/router';
import { httpDate } from '../../core/time.js';
import type { StoreContext } from '../../sessions/context.js';
import { loadState, type VersionSelector } from '../../sessions/load.js';
import { patchState, saveState } from '../../sessions/save.js';
import { JSON_TYPE } from '../body.js';
import { sendWriteAnswer } from '../responses.js';
import { ValidationError } from '../../errors.js';
import { checkRequest, ifNoneMatchVersions, requestText, writeConditions } from '../validation.js';
import type { Guards } from '../auth.js';
import { createRouter } from '../routing.js';

/** PUT, PATCH, GET and HEAD /v1/sessions/{sid}/state. */
export function stateRoutes(ctx: StoreContext, access: Guards, tenantOf: (c: RouterContext) => string): Router {
  const router = createRouter();

  router.put('/v1/sessions/:sid/state', access.write, async (c) => {
    const { path, query, headers } = checkRequest(c, 'saveState');
    const body = requestText(c, 'saveState');
    const outcome = await saveState(ctx, tenantOf(c), path.sid, body, writeConditions(headers, query));
    sendWriteAnswer(c, outcome);
  });

  router.patch('/v1/sessions/:sid/state', access.write, async (c) => {
    const { path, query, headers } = checkRequest(c, 'patchState');
    const body = requestText(c, 'patchState');
    const outcome = await patchState(ctx, tenantOf(c), path.sid, body, writeConditions(headers, query));
    sendWriteAnswer(c, outcome);
  });

  router.get('/v1/sessions/:sid/state', access.read, async (c) => {
    const { path, query, headers } = checkRequest(c, 'loadState');
    // Parameters that exclude each other: OpenAPI has no way to say so.
    if (query.version !== undefined && query.at !== undefined) {
      throw new ValidationError('give either version or at, not both');
    }
    const selector: VersionSelector =
      query.version !== undefined ? { version: query.version } : query.at !== undefined ? { at: query.at } : { latest: true };
    const notModified = ifNoneMatchVersions(headers['If-None-Match']);
    const loaded = await loadState(ctx, tenantOf(c), path.sid, selector);
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

import Router, { type RouterContext } from '@koa/router';
import type { StoreContext } from '../../sessions/context.js';
import { diffVersions, listHistory, readVersion } from '../../sessions/history.js';
import { JSON_PATCH_TYPE } from '../body.js';
import { historyItem } from '../responses.js';
import { checkRequest, labelsParameter } from '../validation.js';
import type { Guards } from '../auth.js';
import { createRouter } from '../routing.js';

/** GET /v1/sessions/{sid}/history, /versions/{n} and /diff. */
export function historyRoutes(ctx: StoreContext, access: Guards, tenantOf: (c: RouterContext) => string): Router {
  const router = createRouter();

  router.get('/v1/sessions/:sid/history', access.read, async (c) => {
    const { path, query } = checkRequest(c, 'listHistory');
    const page = await listHistory(ctx, tenantOf(c), path.sid, {
      limit: query.limit ?? 100,
      before: query.before,
      from: query.from,
      to: query.to,
      labels: labelsParameter(query.labels),
    });
    c.body = { items: page.items.map(historyItem), next: page.next, first_version: page.firstVersion };
  });

  router.get('/v1/sessions/:sid/versions/:n', access.read, async (c) => {
    const { path } = checkRequest(c, 'readVersion');
    const detail = await readVersion(ctx, tenantOf(c), path.sid, path.n);
    c.set('ETag', `"${path.n}"`);
    c.type = 'application/json';
    // The stored patch is spliced in as the text it is: a version stored whole carries a whole state.
    const metadata = JSON.stringify({ ...historyItem(detail), prev_hash: detail.prevHash.toString('hex') });
    c.body = `${metadata.slice(0, -1)},"patch":${detail.patchText}}`;
  });

  router.get('/v1/sessions/:sid/diff', access.read, async (c) => {
    const { path, query } = checkRequest(c, 'diffVersions');
    const result = await diffVersions(ctx, tenantOf(c), path.sid, query.from, query.to);
    c.type = JSON_PATCH_TYPE;
    c.body = Buffer.from(result.patch.buffer, result.patch.byteOffset, result.patch.byteLength);
  });

  return router;
}

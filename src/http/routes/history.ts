import Router, { type RouterContext } from '@koa/router';
import { ValidationError } from '../../errors.js';
import type { StoreContext } from '../../sessions/context.js';
import { diffVersions, listHistory, readVersion } from '../../sessions/history.js';
import { JSON_PATCH_TYPE } from '../body.js';
import { historyItem } from '../responses.js';
import { instant, integerBetween, parseQuery, positiveInteger, sessionIdParam } from '../validation.js';
import type { Guards } from '../auth.js';
import { createRouter } from '../routing.js';

/** GET /v1/sessions/{sid}/history, /versions/{n} and /diff. */
export function historyRoutes(ctx: StoreContext, access: Guards, tenantOf: (c: RouterContext) => string): Router {
  const router = createRouter();

  router.get('/v1/sessions/:sid/history', access.read, async (c) => {
    const sessionId = sessionIdParam(c);
    const query = parseQuery(c, { limit: integerBetween(1, 1000), before: positiveInteger, from: instant, to: instant });
    const page = await listHistory(ctx, tenantOf(c), sessionId, {
      limit: query.limit ?? 100,
      before: query.before,
      from: query.from,
      to: query.to,
    });
    c.body = { items: page.items.map(historyItem), next: page.next };
  });

  router.get('/v1/sessions/:sid/versions/:n', access.read, async (c) => {
    const sessionId = sessionIdParam(c);
    parseQuery(c, {});
    const version = positiveInteger.parse(c.params.n ?? '');
    if (version === undefined) throw new ValidationError(`the version in the path must be a whole number from 1, not "${c.params.n}"`);
    const detail = await readVersion(ctx, tenantOf(c), sessionId, version);
    c.set('ETag', `"${version}"`);
    c.type = 'application/json';
    // The stored patch is spliced in as the text it is: a version stored whole carries a whole state.
    const metadata = JSON.stringify({ ...historyItem(detail), prev_hash: detail.prevHash.toString('hex') });
    c.body = `${metadata.slice(0, -1)},"patch":${detail.patchText}}`;
  });

  router.get('/v1/sessions/:sid/diff', access.read, async (c) => {
    const sessionId = sessionIdParam(c);
    const query = parseQuery(c, { from: positiveInteger, to: positiveInteger });
    if (query.from === undefined || query.to === undefined) {
      throw new ValidationError('diff needs both query parameters from and to (versions)');
    }
    const result = await diffVersions(ctx, tenantOf(c), sessionId, query.from, query.to);
    c.type = JSON_PATCH_TYPE;
    c.body = result.patchText;
  });

  return router;
}

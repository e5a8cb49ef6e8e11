import Router, { type RouterContext } from '@koa/router';
import type { StoreContext } from '../../sessions/context.js';
import { forkSession } from '../../sessions/fork.js';
import { listSessions } from '../../sessions/list.js';
import { deleteSession } from '../../sessions/remove.js';
import { restoreState } from '../../sessions/restore.js';
import { sendWriteAnswer, sessionItem } from '../responses.js';
import { checkRequest, instantWithin, requestDocument, writeConditions } from '../validation.js';
import type { Guards } from '../auth.js';
import { createRouter } from '../routing.js';

/** The session collection, DELETE, and the restore and fork actions. */
export function sessionRoutes(ctx: StoreContext, access: Guards, tenantOf: (c: RouterContext) => string, maxDepth: number): Router {
  const router = createRouter();

  router.get('/v1/sessions', access.read, async (c) => {
    const { query } = checkRequest(c, 'listSessions');
    const page = await listSessions(ctx, tenantOf(c), { prefix: query.prefix, cursor: query.cursor, limit: query.limit ?? 100 });
    c.body = { items: page.items.map(sessionItem), next: page.next };
  });

  router.delete('/v1/sessions/:sid', access.write, async (c) => {
    const { path, query, headers } = checkRequest(c, 'deleteSession');
    const { ifMatch, idempotencyKey } = writeConditions(headers);
    await deleteSession(ctx, tenantOf(c), path.sid, { purge: query.purge ?? false, ifMatch, idempotencyKey });
    c.status = 204;
  });

  router.post('/v1/sessions/:sid/restore', access.write, async (c) => {
    const { path, headers } = checkRequest(c, 'restoreState');
    const body = requestDocument(c, 'restoreState', maxDepth);
    const target = body.version !== undefined ? { version: body.version } : { at: instantWithin(body.at!, '"at"') };
    const outcome = await restoreState(ctx, tenantOf(c), path.sid, target, writeConditions(headers, body));
    sendWriteAnswer(c, outcome);
  });

  router.post('/v1/sessions/:sid/fork', access.write, async (c) => {
    const { path, headers } = checkRequest(c, 'forkSession');
    const body = requestDocument(c, 'forkSession', maxDepth);
    const outcome = await forkSession(ctx, tenantOf(c), path.sid, body.to, body.version, writeConditions(headers, body));
    sendWriteAnswer(c, outcome);
    c.set('Location', `/v1/sessions/${encodeURIComponent(body.to)}/state`);
  });

  return router;
}

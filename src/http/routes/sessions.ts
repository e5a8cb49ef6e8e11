import Router, { type RouterContext } from '@koa/router';
import { FIRST_INSTANT, LAST_INSTANT, parseInstant } from '../../core/time.js';
import { ValidationError } from '../../errors.js';
import type { StoreContext } from '../../sessions/context.js';
import { forkSession } from '../../sessions/fork.js';
import { listSessions } from '../../sessions/list.js';
import { deleteSession } from '../../sessions/remove.js';
import { restoreState } from '../../sessions/restore.js';
import { assertNoBody, JSON_TYPE, readJsonBody } from '../body.js';
import { sendWriteAnswer, sessionItem } from '../responses.js';
import { validateForkBody, validateRestoreBody } from '../schemas.js';
import { booleanFlag, integerBetween, parseQuery, sessionIdParam, text, writeConditions } from '../validation.js';
import type { Guards } from '../auth.js';
import { createRouter } from '../routing.js';

/** The session collection, DELETE, and the restore and fork actions. */
export function sessionRoutes(ctx: StoreContext, access: Guards, tenantOf: (c: RouterContext) => string, maxDepth: number): Router {
  const router = createRouter();

  router.get('/v1/sessions', access.read, async (c) => {
    const query = parseQuery(c, {
      prefix: text(128, /^[A-Za-z0-9._:@-]*$/),
      limit: integerBetween(1, 1000),
      cursor: text(1024, /^[A-Za-z0-9_-]+$/),
    });
    const page = await listSessions(ctx, tenantOf(c), { prefix: query.prefix, cursor: query.cursor, limit: query.limit ?? 100 });
    c.body = { items: page.items.map(sessionItem), next: page.next };
  });

  router.delete('/v1/sessions/:sid', access.write, async (c) => {
    const sessionId = sessionIdParam(c);
    const query = parseQuery(c, { purge: booleanFlag });
    assertNoBody(c);
    const { ifMatch, idempotencyKey } = writeConditions(c);
    await deleteSession(ctx, tenantOf(c), sessionId, { purge: query.purge ?? false, ifMatch, idempotencyKey });
    c.status = 204;
  });

  router.post('/v1/sessions/:sid/restore', access.write, async (c) => {
    const sessionId = sessionIdParam(c);
    parseQuery(c, {});
    const body = validateRestoreBody(readJsonBody(c, JSON_TYPE, maxDepth));
    let target: { version: number } | { at: string };
    if (body.version !== undefined) {
      target = { version: body.version };
    } else {
      const at = parseInstant(body.at!);
      if (at === undefined) throw new ValidationError(`"at" must be an RFC 3339 date-time from ${FIRST_INSTANT} to ${LAST_INSTANT}, not "${body.at}"`);
      target = { at };
    }
    const outcome = await restoreState(ctx, tenantOf(c), sessionId, target, writeConditions(c, body));
    sendWriteAnswer(c, outcome);
  });

  router.post('/v1/sessions/:sid/fork', access.write, async (c) => {
    const sessionId = sessionIdParam(c);
    parseQuery(c, {});
    const body = validateForkBody(readJsonBody(c, JSON_TYPE, maxDepth));
    const conditions = writeConditions(c, body);
    if (conditions.ifMatch !== undefined || conditions.createOnly) {
      throw new ValidationError('fork takes no If-Match or If-None-Match: the target must not exist, and the source version is in the body');
    }
    const outcome = await forkSession(ctx, tenantOf(c), sessionId, body.to, body.version, conditions);
    sendWriteAnswer(c, outcome);
    c.set('Location', `/v1/sessions/${encodeURIComponent(body.to)}/state`);
  });

  return router;
}

import type Router from '@koa/router';
import type { ChangeFeed } from '../../sessions/changeFeed.js';
import { callerOf, type Guards } from '../auth.js';
import { createEventStream } from '../eventStream.js';
import { createRouter } from '../routing.js';
import { checkRequest } from '../validation.js';

/** GET /v1/sessions/{sid}/watch: the session's new versions as Server-Sent Events. */
export function watchRoutes(feed: ChangeFeed, access: Guards, { stallMs }: { stallMs: number }): Router {
  const router = createRouter();

  router.get('/v1/sessions/:sid/watch', access.read, async (c) => {
    const { path, query, headers } = checkRequest(c, 'watchSession');
    const caller = callerOf(c);
    // An EventSource reconnects to the URL it was given (`?after=` and all), sending the id of
    // the last event it got: that is where it stands, so Last-Event-ID wins.
    const lastEventId = headers['Last-Event-ID'];
    const after = lastEventId !== undefined ? Number(lastEventId) : query.after;
    let stream: ReturnType<typeof createEventStream> | undefined;
    await feed.watch(
      {
        tenant: caller.tenant,
        sessionId: path.sid,
        keyId: caller.keyId,
        after,
        afterFrom: lastEventId !== undefined ? 'Last-Event-ID' : 'query parameter "after"',
      },
      (start) => (stream = createEventStream(c.res, { start, stallMs })).sink,
    );
    c.status = 200;
    c.type = 'text/event-stream';
    c.set('Cache-Control', 'no-store');
    // Proxies that buffer answers (nginx) would hold the events back.
    c.set('X-Accel-Buffering', 'no');
    c.body = stream!.body;
  });

  return router;
}

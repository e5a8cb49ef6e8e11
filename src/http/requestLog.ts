import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Principal } from '../access/authenticate.js';
import type { Logger } from '../log.js';
import { countRequest } from '../metrics/metrics.js';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * A request id a caller may choose: 1 to 128 characters that need no quoting or escaping in a
 * header, a log line or a URL (what UUIDs, ULIDs and tracing ids are made of). Anything else is
 * replaced rather than refused: a request id is for finding log lines, never a reason to fail.
 */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:@+=\/-]{1,128}$/;

/** The route a request matched, as its template (`/v1/sessions/{sid}/state`), never its path. */
export function routeTemplate(ctx: Context): string {
  const matched = (ctx as Context & { _matchedRoute?: unknown })._matchedRoute;
  return typeof matched === 'string' ? matched.replace(/:(\w+)/g, '{$1}') : '(unmatched)';
}

/** The request id of a request (set by the request middleware, first in the chain). */
export function requestIdOf(ctx: Context): string | undefined {
  return ctx.state.requestId as string | undefined;
}

/**
 * First in the chain: gives each request its id (the caller's X-Request-Id when acceptable, else a
 * new UUID), echoes it on every answer, counts the request in the metrics and logs one line for it:
 * method, route template, status, duration, request id, and the tenant and key id it was admitted
 * with. Never the path (session ids), the query, a header or a body: no key, token or state.
 */
export function requestLog(logger: Logger) {
  return async function logRequest(ctx: Context, next: Next): Promise<void> {
    const started = process.hrtime.bigint();
    const sent = ctx.get(REQUEST_ID_HEADER);
    const requestId = ACCEPTED_REQUEST_ID.test(sent) ? sent : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set(REQUEST_ID_HEADER, requestId);
    try {
      await next();
    } finally {
      // The problem middleware clears the headers of an answer that failed: set it again.
      ctx.set(REQUEST_ID_HEADER, requestId);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeTemplate(ctx);
      countRequest(ctx.method, route, ctx.status, seconds);
      const principal = ctx.state.principal as Principal | undefined;
      logger.info('request', {
        request_id: requestId,
        method: ctx.method,
        route,
        status: ctx.status,
        duration_ms: Math.round(seconds * 1e6) / 1e3,
        ...(principal ? { tenant: principal.tenant, key_id: principal.keyId } : {}),
      });
    }
  };
}

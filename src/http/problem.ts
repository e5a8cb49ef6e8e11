import type { Context, Next } from 'koa';
import { databaseUnavailable } from '../db/errors.js';
import {
  DomainError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  ValidationError,
} from '../errors.js';
import type { Logger } from '../log.js';
import { requestIdOf } from './requestLog.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  [extension: string]: unknown;
}

export function problemType(code: string): string {
  return `urn:session-store:problem:${code}`;
}

/** Errors raised by raw-body (the body reader) and the router, which carry a status and a `type` string. */
interface HttpLikeError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  type?: string;
  message: string;
  headers?: Record<string, string>;
}

/**
 * The one error middleware, first in the chain. A DomainError (or a client error raised by the
 * body parser or router) becomes an RFC 9457 problem answer; a database that cannot serve now
 * (src/db/errors.ts says which driver errors mean that) a 503 with Retry-After; anything else is a
 * bug: it is logged with its stack and answered as a bare 500 that reveals nothing.
 */
export function problemMiddleware(logger: Logger) {
  return async function problems(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
      // No route answered: an unknown path (404), or a known path with another method (the
      // router set 405 or 501 and Allow but no body).
      if (ctx.status >= 400 && ctx.body == null) sendProblem(ctx, unansweredProblem(ctx));
    } catch (thrown) {
      const unavailable = databaseUnavailable(thrown);
      if (unavailable) logger.warn('database unavailable', { request_id: requestIdOf(ctx), method: ctx.method, path: ctx.path, error: thrown });
      const error = unavailable ? new ServiceUnavailableError(unavailable.detail, unavailable.retryAfterSeconds) : thrown;
      const problem = toProblem(error);
      if (problem.status >= 500 && !(error instanceof DomainError)) {
        logger.error('request failed', { request_id: requestIdOf(ctx), method: ctx.method, path: ctx.path, error });
      }
      // An error answer carries the headers its error defines and no others: whatever the route had
      // set before it failed (an ETag, a Location, a version) must not reach the client, as in
      // Koa's own onerror.
      for (const name of ctx.res.getHeaderNames()) ctx.res.removeHeader(name);
      if (error instanceof DomainError) ctx.set(error.headers());
      else if ((error as HttpLikeError).headers && problem.status < 500) ctx.set((error as HttpLikeError).headers!);
      sendProblem(ctx, problem);
    }
  };
}

/** A problem answer; it names the request's id (`request_id`), as its X-Request-Id header does, for finding its log lines. */
export function sendProblem(ctx: Context, problem: Problem): void {
  const requestId = requestIdOf(ctx);
  ctx.status = problem.status;
  ctx.type = PROBLEM_CONTENT_TYPE;
  ctx.body = JSON.stringify(requestId === undefined ? problem : { ...problem, request_id: requestId });
}

function unansweredProblem(ctx: Context): Problem {
  if (ctx.status === 405) {
    return { type: problemType('method-not-allowed'), title: 'Method not allowed', status: 405, detail: `${ctx.path} takes ${ctx.response.get('Allow')}, not ${ctx.method}` };
  }
  if (ctx.status === 501) {
    return { type: problemType('not-implemented'), title: 'Not implemented', status: 501, detail: `this server does not implement the method ${ctx.method}` };
  }
  return { type: problemType('not-found'), title: 'Not found', status: 404, detail: `there is no route ${ctx.method} ${ctx.path}` };
}

export function toProblem(error: unknown): Problem {
  if (error instanceof DomainError) {
    return { type: problemType(error.code), title: error.title, status: error.status, detail: error.message, ...error.extensions };
  }
  const httpError = error as HttpLikeError;
  const status = httpError?.status ?? httpError?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return clientProblem(status, httpError);
  }
  return { type: problemType('internal'), title: 'Internal server error', status: 500, detail: 'the server failed to answer; the error is logged' };
}

function clientProblem(status: number, error: HttpLikeError): Problem {
  // raw-body's own errors (the body reader), as the domain errors they are.
  const known: Record<string, () => DomainError> = {
    'entity.too.large': () => new PayloadTooLargeError('the request body is larger than the configured limit (BODY_LIMIT_BYTES)'),
    'request.aborted': () => new ValidationError('the client closed the request before its body was complete'),
    'request.size.invalid': () => new ValidationError('the request body does not match its Content-Length'),
  };
  const mapped = error.type ? known[error.type] : undefined;
  if (mapped) return toProblem(mapped());
  // Any other client error raised by a library (http-errors): its status, and its message when it
  // is meant for the client.
  const title = status === 404 ? 'Not found' : status === 413 ? 'Payload too large' : status === 415 ? 'Unsupported media type' : 'Bad request';
  return { type: problemType(status === 404 ? 'not-found' : 'invalid-request'), title, status, detail: error.expose === false ? title : error.message };
}

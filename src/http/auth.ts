import type { Context, Middleware, Next } from 'koa';
import type { Authenticator, Principal } from '../access/authenticate.js';
import type { RateLimit } from '../access/rateLimiter.js';
import { ForbiddenError, TooManyRequestsError, UnauthorizedError, wholeRetrySeconds } from '../errors.js';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Guards every /v1 route, before the body is read: no key (or a bad one) is a 401 with
 * WWW-Authenticate; a key over its rate limit a 429 with Retry-After; a read key writing, or a
 * non-admin key managing keys, a 403. The caller's tenant then scopes everything the route does.
 */
export function authMiddleware(
  authenticator: Authenticator,
  limiter: { take(key: string, limit: RateLimit): number | undefined },
  defaultLimit: RateLimit,
): Middleware {
  return async function auth(ctx: Context, next: Next): Promise<void> {
    if (!ctx.path.startsWith('/v1/') && ctx.path !== '/v1') return next();
    const authorization = ctx.get('Authorization') || undefined;
    const challenge = (error: unknown): never => {
      if (error instanceof UnauthorizedError) {
        ctx.set('WWW-Authenticate', `Bearer realm="session-store"${authorization ? ', error="invalid_token"' : ''}`);
      }
      throw error;
    };

    // A read by a key this process has confirmed before: check the key's row (revoked? expired?)
    // while the read runs, and answer only once the check has passed. The read has no effect
    // that a refusal would need to undo, and the tenant it reads in is the key's, which never
    // changes. Writes, and keys not seen yet, are checked before anything else runs.
    const known = READ_METHODS.has(ctx.method) ? authenticator.remembered(authorization) : undefined;
    if (known && !isKeyRoute(ctx.path)) {
      admit(ctx, known);
      const [check, route] = await Promise.allSettled([authenticator.authenticate(authorization), next()]);
      if (check.status === 'rejected') {
        ctx.body = undefined;
        challenge(check.reason);
      }
      if (route.status === 'rejected') throw route.reason;
      return;
    }

    let principal: Principal;
    try {
      principal = await authenticator.authenticate(authorization);
    } catch (error) {
      challenge(error);
      throw error;
    }
    admit(ctx, principal);
    await next();
  };

  /** Rate limit and role: throws a 429 or 403, else records the caller for the routes. */
  function admit(ctx: Context, principal: Principal): void {
    const wait = limiter.take(principal.keyId, {
      perSecond: principal.ratePerSecond ?? defaultLimit.perSecond,
      burst: principal.rateBurst ?? defaultLimit.burst,
    });
    if (wait !== undefined) {
      const seconds = wholeRetrySeconds(wait);
      throw new TooManyRequestsError(`this key is over its rate limit; retry in ${seconds} s`, seconds);
    }
    if (isKeyRoute(ctx.path)) {
      if (principal.role !== 'admin') throw new ForbiddenError('managing keys needs a key with the admin role');
    } else if (principal.role === 'read' && !READ_METHODS.has(ctx.method)) {
      throw new ForbiddenError('this key has the read role: it may only GET and HEAD');
    }
    ctx.state.principal = principal;
  }
}

function isKeyRoute(path: string): boolean {
  return path === '/v1/keys' || path.startsWith('/v1/keys/');
}

export function tenantOf(ctx: Context): string {
  const principal = ctx.state.principal as Principal | undefined;
  if (!principal) throw new Error('tenantOf called on a route the auth middleware does not guard');
  return principal.tenant;
}

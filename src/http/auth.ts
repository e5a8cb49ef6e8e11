import type { Context, Middleware, Next } from 'koa';
import type { Principal } from '../access/authenticate.js';
import type { RateLimit } from '../access/rateLimiter.js';
import { ForbiddenError, TooManyRequestsError, UnauthorizedError } from '../errors.js';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Guards every /v1 route, before the body is read: no key (or a bad one) is a 401 with
 * WWW-Authenticate; a key over its rate limit a 429 with Retry-After; a read key writing, or a
 * non-admin key managing keys, a 403. The caller's tenant then scopes everything the route does.
 */
export function authMiddleware(
  authenticate: (authorization: string | undefined) => Promise<Principal>,
  limiter: { take(key: string, limit: RateLimit): number | undefined },
  defaultLimit: RateLimit,
): Middleware {
  return async function auth(ctx: Context, next: Next): Promise<void> {
    if (!ctx.path.startsWith('/v1/') && ctx.path !== '/v1') return next();
    const authorization = ctx.get('Authorization') || undefined;
    let principal: Principal;
    try {
      principal = await authenticate(authorization);
    } catch (error) {
      if (error instanceof UnauthorizedError) {
        ctx.set('WWW-Authenticate', `Bearer realm="session-store"${authorization ? ', error="invalid_token"' : ''}`);
      }
      throw error;
    }
    const wait = limiter.take(principal.keyId, {
      perSecond: principal.ratePerSecond ?? defaultLimit.perSecond,
      burst: principal.rateBurst ?? defaultLimit.burst,
    });
    if (wait !== undefined) {
      const seconds = Math.max(1, Math.ceil(wait));
      ctx.set('Retry-After', String(seconds));
      throw new TooManyRequestsError(`this key is over its rate limit; retry in ${seconds} s`, seconds);
    }
    if (ctx.path === '/v1/keys' || ctx.path.startsWith('/v1/keys/')) {
      if (principal.role !== 'admin') throw new ForbiddenError('managing keys needs a key with the admin role');
    } else if (principal.role === 'read' && !READ_METHODS.has(ctx.method)) {
      throw new ForbiddenError('this key has the read role: it may only GET and HEAD');
    }
    ctx.state.principal = principal;
    await next();
  };
}

export function tenantOf(ctx: Context): string {
  const principal = ctx.state.principal as Principal | undefined;
  if (!principal) throw new Error('tenantOf called on a route the auth middleware does not guard');
  return principal.tenant;
}

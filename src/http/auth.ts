import type { Context, Middleware, Next } from 'koa';
import type { Authenticator, Principal } from '../access/authenticate.js';
import type { RateLimit } from '../access/rateLimiter.js';
import { ForbiddenError, TooManyRequestsError, wholeRetrySeconds } from '../errors.js';
import type { Role } from '../store/apiKeys.js';

/** What a route needs from its caller: nothing, or a key with at least this role. */
export type Access = 'public' | Role;

/** One guard per access; a route names its own as its first middleware (`access.write`). */
export type Guards = Readonly<Record<Access, Middleware>>;

const RANK: Record<Role, number> = { read: 1, write: 2, admin: 3 };
const accessOfGuard = new WeakMap<Function, Access>();

/** The access a route declares, from its first middleware: undefined if that is not a guard. */
export function accessOf(middleware: unknown): Access | undefined {
  return typeof middleware === 'function' ? accessOfGuard.get(middleware) : undefined;
}

/**
 * The guards routes declare their access with. A guard runs after the router matched (so the role
 * a request needs is the matched route's, never a second reading of the path) and before the
 * body is read: `readBody` runs only once the caller is admitted, so a request without a valid
 * key costs no more than one key lookup. No key (or a bad one) is a 401 with WWW-Authenticate; a
 * key over its rate limit a 429 with Retry-After; a key whose role is below the route's a 403.
 * The caller's tenant then scopes everything the route does.
 */
export function createGuards(
  authenticator: Authenticator,
  limiter: { take(key: string, limit: RateLimit): number | undefined },
  defaultLimit: RateLimit,
  readBody: Middleware,
): Guards {
  const guards: Guards = {
    public: (ctx, next) => readBody(ctx, next),
    read: guard('read'),
    write: guard('write'),
    admin: guard('admin'),
  };
  for (const [access, middleware] of Object.entries(guards)) accessOfGuard.set(middleware, access as Access);
  return guards;

  function guard(needed: Role): Middleware {
    return async function auth(ctx: Context, next: Next): Promise<void> {
      const authorization = ctx.get('Authorization') || undefined;
      const proceed = () => readBody(ctx, next);

      // A read by a key this process has confirmed before: check the key's row (revoked? expired?)
      // while the read runs, and answer only once the check has passed. The read has no effect
      // that a refusal would need to undo, and the tenant it reads in is the key's, which never
      // changes. Writes, key management, and keys not seen yet are checked before anything runs.
      const known = needed === 'read' ? authenticator.remembered(authorization) : undefined;
      if (known) {
        const checked = authenticator.authenticate(authorization);
        try {
          admit(ctx, known, needed);
        } catch (refusal) {
          // A key that is no longer good is a 401, never a 429 telling its holder to retry.
          await checked;
          throw refusal;
        }
        const [check, route] = await Promise.allSettled([checked, proceed()]);
        // The read's answer (its body, and headers such as ETag) is dropped by the error answer.
        if (check.status === 'rejected') throw check.reason;
        if (route.status === 'rejected') throw route.reason;
        return;
      }

      const principal = await authenticator.authenticate(authorization);
      admit(ctx, principal, needed);
      await proceed();
    };
  }

  /** Rate limit and role: throws a 429 or 403, else records the caller for the route. */
  function admit(ctx: Context, principal: Principal, needed: Role): void {
    const wait = limiter.take(principal.keyId, {
      perSecond: principal.ratePerSecond ?? defaultLimit.perSecond,
      burst: principal.rateBurst ?? defaultLimit.burst,
    });
    if (wait !== undefined) {
      const seconds = wholeRetrySeconds(wait);
      throw new TooManyRequestsError(`this key is over its rate limit; retry in ${seconds} s`, seconds);
    }
    if (RANK[principal.role] < RANK[needed]) {
      throw new ForbiddenError(
        needed === 'admin'
          ? 'this route (key management, the tenant\'s retention policy) needs a key with the admin role'
          : `this key has the ${principal.role} role: it may only GET and HEAD`,
      );
    }
    ctx.state.principal = principal;
  }
}

export function tenantOf(ctx: Context): string {
  return callerOf(ctx).tenant;
}

/** The key a request was admitted with, on a route that checks keys. */
export function callerOf(ctx: Context): Principal {
  const principal = ctx.state.principal as Principal | undefined;
  if (!principal) throw new Error('callerOf called on a route that declares no key-checking access');
  return principal;
}

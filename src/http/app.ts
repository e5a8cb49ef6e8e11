import Router from '@koa/router';
import Koa from 'koa';
import { createStateCache } from '../sessions/stateCache.js';
import type { StoreContext } from '../sessions/context.js';
import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../log.js';
import type { StorageProblem } from '../db/localMariadb.js';
import { ServiceUnavailableError } from '../errors.js';
import { createAuthenticator } from '../access/authenticate.js';
import { createRateLimiter } from '../access/rateLimiter.js';
import { authMiddleware, tenantOf } from './auth.js';
import { bodyReader } from './body.js';
import { keyRoutes } from './routes/keys.js';
import { problemMiddleware } from './problem.js';
import { healthRoutes, STORAGE_UNAVAILABLE } from './routes/health.js';
import { historyRoutes } from './routes/history.js';
import { sessionRoutes } from './routes/sessions.js';
import { stateRoutes } from './routes/state.js';

export type AppConfig = Pick<
  Config,
  | 'bodyLimitBytes'
  | 'maxJsonDepth'
  | 'checkpointEvery'
  | 'fullStateRatio'
  | 'stateCacheBytes'
  | 'txMaxRetries'
  | 'rateLimitPerSecond'
  | 'rateLimitBurst'
>;

export interface App {
  koa: Koa;
  store: StoreContext;
  /** Every route as "METHOD /path/{param}", for holding the router to openapi.yaml. */
  routes: string[];
}

export interface AppOptions {
  pool: Pool;
  config: AppConfig;
  logger: Logger;
  /** The managed MariaDB's storage check (its folder gone, its disk full): readiness, and writes refused meanwhile. */
  storage?: () => StorageProblem | undefined;
}

/** Builds the HTTP app from what it is given; it opens no port and runs no migration. */
export function createApp({ pool, config, logger, storage }: AppOptions): App {
  const store: StoreContext = {
    pool,
    cache: createStateCache(config.stateCacheBytes),
    policy: { maxEventsBetween: config.checkpointEvery, fullStateRatio: config.fullStateRatio },
    transactions: { maxRetries: config.txMaxRetries },
    logger,
  };
  const routers = [
    healthRoutes(pool, { logger, storage }),
    stateRoutes(store, tenantOf, config.maxJsonDepth),
    historyRoutes(store, tenantOf),
    sessionRoutes(store, tenantOf, config.maxJsonDepth),
    keyRoutes(pool, config.maxJsonDepth),
  ];
  const authenticator = createAuthenticator(pool, (error) => logger.warn('could not record a key use', { error }));

  const koa = new Koa({ proxy: false });
  koa.silent = true;
  koa.use(problemMiddleware(logger));
  // Before the body reader: a request without a valid key costs no more than one key lookup.
  koa.use(authMiddleware(authenticator, createRateLimiter(), { perSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst }));
  if (storage) koa.use(refuseWritesWithoutStorage(storage));
  koa.use(bodyReader(config.bodyLimitBytes));
  for (const router of routers) {
    koa.use(router.routes());
    koa.use(router.allowedMethods());
  }

  const routes = routers.flatMap((router) =>
    router.stack.flatMap((layer) =>
      layer.methods.filter((method) => method !== 'HEAD').map((method) => `${method} ${layer.path.toString().replace(/:(\w+)/g, '{$1}')}`),
    ),
  );
  return { koa, store, routes };
}

/**
 * With the managed MariaDB's folder removed, its server still writes, into files that no longer
 * exist anywhere: an acknowledged save would be lost. With its disk full, a save would fail half
 * way. Refuse writes (503) until that is over; reads still answer.
 */
function refuseWritesWithoutStorage(storage: () => StorageProblem | undefined) {
  return async function storageGuard(ctx: Koa.Context, next: Koa.Next): Promise<void> {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD' && ctx.method !== 'OPTIONS') {
      const problem = storage();
      if (problem) throw new ServiceUnavailableError(STORAGE_UNAVAILABLE[problem.reason]);
    }
    await next();
  };
}

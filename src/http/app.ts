import Koa from 'koa';
import { createStateCache } from '../sessions/stateCache.js';
import { createTaskRunner } from '../work/taskRunner.js';
import type { StoreContext } from '../sessions/context.js';
import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../log.js';
import { createAuthenticator } from '../access/authenticate.js';
import { createRateLimiter } from '../access/rateLimiter.js';
import { createGuards, tenantOf, type Access } from './auth.js';
import { bodyReader } from './body.js';
import { keyRoutes } from './routes/keys.js';
import { problemMiddleware } from './problem.js';
import { healthRoutes } from './routes/health.js';
import { historyRoutes } from './routes/history.js';
import { sessionRoutes } from './routes/sessions.js';
import { stateRoutes } from './routes/state.js';
import { declaredRoutes } from './routing.js';

export type AppConfig = Pick<
  Config,
  | 'bodyLimitBytes'
  | 'maxJsonDepth'
  | 'checkpointEvery'
  | 'fullStateRatio'
  | 'stateCacheBytes'
  | 'workerThreads'
  | 'offloadFromBytes'
  | 'txMaxRetries'
  | 'rateLimitPerSecond'
  | 'rateLimitBurst'
>;

export interface App {
  koa: Koa;
  store: StoreContext;
  /** Every route as "METHOD /path/{param}", for holding the router to openapi.yaml. */
  routes: string[];
  /** The access each route declares, by "METHOD /path/{param}". */
  access: Record<string, Access>;
  /** Stops the worker threads (after the HTTP server has stopped). */
  close(): Promise<void>;
}

/** Builds the HTTP app from what it is given; it opens no port and runs no migration. */
export function createApp({ pool, config, logger }: { pool: Pool; config: AppConfig; logger: Logger }): App {
  const store: StoreContext = {
    pool,
    cache: createStateCache(config.stateCacheBytes),
    policy: { maxEventsBetween: config.checkpointEvery, fullStateRatio: config.fullStateRatio },
    transactions: { maxRetries: config.txMaxRetries },
    work: createTaskRunner({ threads: config.workerThreads, inlineBelow: config.offloadFromBytes }),
    limits: { maxBytes: config.bodyLimitBytes, maxDepth: config.maxJsonDepth },
    logger,
  };
  const authenticator = createAuthenticator(pool, (error) => logger.warn('could not record a key use', { error }));
  // Each route names its guard (the access it needs) as its first middleware: the guard runs once
  // the route has matched, and the body is read only after it has admitted the caller.
  const access = createGuards(
    authenticator,
    createRateLimiter(),
    { perSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst },
    bodyReader(config.bodyLimitBytes),
  );
  const routers = [
    healthRoutes(pool, access),
    stateRoutes(store, access, tenantOf),
    historyRoutes(store, access, tenantOf),
    sessionRoutes(store, access, tenantOf, config.maxJsonDepth),
    keyRoutes(pool, access, config.maxJsonDepth),
  ];
  const declared = declaredRoutes(routers);

  const koa = new Koa({ proxy: false });
  koa.silent = true;
  koa.use(problemMiddleware(logger));
  // A path no route matches exactly is a 404 (or 405 with Allow), before any key or body is read.
  for (const router of routers) {
    koa.use(router.routes());
    koa.use(router.allowedMethods());
  }

  return {
    koa,
    store,
    routes: declared.map(({ route }) => route),
    access: Object.fromEntries(declared.map(({ route, access }) => [route, access])),
    close: () => store.work.close(),
  };
}

import Router from '@koa/router';
import Koa from 'koa';
import { createStateCache } from '../sessions/stateCache.js';
import { createTaskRunner } from '../work/taskRunner.js';
import type { StoreContext } from '../sessions/context.js';
import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../log.js';
import { createAuthenticator } from '../access/authenticate.js';
import { createRateLimiter } from '../access/rateLimiter.js';
import { authMiddleware, tenantOf } from './auth.js';
import { bodyReader } from './body.js';
import { keyRoutes } from './routes/keys.js';
import { problemMiddleware } from './problem.js';
import { healthRoutes } from './routes/health.js';
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
  const routers = [
    healthRoutes(pool),
    stateRoutes(store, tenantOf),
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
  return { koa, store, routes, close: () => store.work.close() };
}

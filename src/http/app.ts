import Koa from 'koa';
import { createChangeFeed, type ChangeFeed } from '../sessions/changeFeed.js';
import { createCheckpointCache } from '../sessions/checkpointCache.js';
import { createStateCache } from '../sessions/stateCache.js';
import { createTaskRunner } from '../work/taskRunner.js';
import type { StoreContext } from '../sessions/context.js';
import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../log.js';
import type { StorageProblem } from '../db/localMariadb.js';
import { ServiceUnavailableError } from '../errors.js';
import { createAuthenticator } from '../access/authenticate.js';
import { createRateLimiter } from '../access/rateLimiter.js';
import { createGuards, tenantOf, type Access } from './auth.js';
import { bodyReader } from './body.js';
import { keyRoutes } from './routes/keys.js';
import { problemMiddleware } from './problem.js';
import { requestLog } from './requestLog.js';
import { healthRoutes, STORAGE_UNAVAILABLE } from './routes/health.js';
import { historyRoutes } from './routes/history.js';
import { identityRoutes } from './routes/identity.js';
import { sessionRoutes } from './routes/sessions.js';
import { stateRoutes } from './routes/state.js';
import { uiRoutes } from './routes/ui.js';
import { watchRoutes } from './routes/watch.js';
import { retentionRoutes } from './routes/retention.js';
import { exchangeRoutes } from './routes/exchange.js';
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
  | 'txRetryBudgetMs'
  | 'idempotencyTtlSeconds'
  | 'rateLimitPerSecond'
  | 'rateLimitBurst'
  | 'apiKeyCacheMs'
  | 'checkpointCacheBytes'
  | 'feedPollMs'
  | 'feedHeartbeatMs'
  | 'feedPatchLimitBytes'
  | 'feedStreamBufferBytes'
  | 'feedMaxStreams'
  | 'feedMaxStreamsPerKey'
  | 'retentionKeepVersions'
  | 'retentionKeepDays'
  | 'compactionBatchRows'
  | 'importLimitBytes'
>;

export interface App {
  koa: Koa;
  store: StoreContext;
  /** Every route as "METHOD /path/{param}", for holding the router to openapi.yaml. */
  routes: string[];
  /** The access each route declares, by "METHOD /path/{param}". */
  access: Record<string, Access>;
  /** The change feed: its streams outlive requests, so shutting down ends them (closeStreams). */
  feed: ChangeFeed;
  /** Ends every open change feed stream (after what it has queued) and stops its polling; new watches answer 503. */
  closeStreams(): void;
  /** Ends the streams and stops the worker threads (after the HTTP server has stopped). */
  close(): Promise<void>;
}

export interface AppOptions {
  pool: Pool;
  config: AppConfig;
  logger: Logger;
  /** The managed MariaDB's storage check (its folder gone, its disk full): readiness, and writes refused meanwhile. */
  storage?: () => StorageProblem | undefined;
  /** The database is a Galera node, whose connections set this wsrep_sync_wait: /readyz checks the node's cluster state. */
  galera?: { wsrepSyncWait: number } | undefined;
}

/** Builds the HTTP app from what it is given; it opens no port and runs no migration. */
export function createApp({ pool, config, logger, storage, galera }: AppOptions): App {
  const store: StoreContext = {
    pool,
    cache: createStateCache(config.stateCacheBytes),
    checkpoints: createCheckpointCache(config.checkpointCacheBytes),
    policy: { maxEventsBetween: config.checkpointEvery, fullStateRatio: config.fullStateRatio },
    transactions: { retryBudgetMs: config.txRetryBudgetMs, multiStatement: !galera },
    work: createTaskRunner({
      threads: config.workerThreads,
      inlineBelow: config.offloadFromBytes,
      onWorkerError: (error) => logger.error('a worker thread failed outside any task: its pool is replaced', { error }),
    }),
    limits: { maxBytes: config.bodyLimitBytes, maxDepth: config.maxJsonDepth },
    idempotencyTtlSeconds: config.idempotencyTtlSeconds,
    logger,
  };
  const authenticator = createAuthenticator(pool, (error) => logger.warn('could not record a key use', { error }), config.apiKeyCacheMs);
  // Each route names its guard (the access it needs) as its first middleware: the guard runs once
  // the route has matched, and the body is read only after it has admitted the caller.
  const readBody = bodyReader(config.bodyLimitBytes);
  const access = createGuards(
    authenticator,
    createRateLimiter(),
    { perSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst },
    storage ? refuseWritesWithoutStorage(storage, readBody) : readBody,
  );
  const feed = createChangeFeed(
    pool,
    {
      pollMs: config.feedPollMs,
      heartbeatMs: config.feedHeartbeatMs,
      patchLimitBytes: config.feedPatchLimitBytes,
      streamBufferBytes: config.feedStreamBufferBytes,
      maxStreams: config.feedMaxStreams,
      maxStreamsPerKey: config.feedMaxStreamsPerKey,
    },
    logger,
  );
  const routers = [
    healthRoutes(pool, access, { logger, storage, galera }),
    stateRoutes(store, access, tenantOf),
    historyRoutes(store, access, tenantOf),
    // A reader that takes nothing for two heartbeats while its stream waits for room is dropped.
    watchRoutes(feed, access, { stallMs: 2 * config.feedHeartbeatMs }),
    sessionRoutes(store, access, tenantOf, config.maxJsonDepth),
    retentionRoutes(store, access, tenantOf, config),
    exchangeRoutes(store, access, tenantOf, config),
    keyRoutes(pool, access, config.maxJsonDepth, (keyId) => authenticator.forget(keyId)),
    identityRoutes(access),
    uiRoutes(access),
  ];
  const declared = declaredRoutes(routers);

  const koa = new Koa({ proxy: false });
  koa.silent = true;
  // Outside the problem middleware, so that every answer, an error too, carries the request id.
  koa.use(requestLog(logger));
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
    feed,
    closeStreams: () => feed.close(),
    close: () => {
      feed.close();
      return store.work.close();
    },
  };
}

/**
 * With the managed MariaDB's folder removed, its server still writes, into files that no longer
 * exist anywhere: an acknowledged save would be lost. With its disk full, a save would fail half
 * way. Refuse writes (503) until that is over; reads still answer.
 */
function refuseWritesWithoutStorage(storage: () => StorageProblem | undefined, readBody: Koa.Middleware): Koa.Middleware {
  return async function storageGuard(ctx: Koa.Context, next: Koa.Next): Promise<void> {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD' && ctx.method !== 'OPTIONS') {
      const problem = storage();
      if (problem) throw new ServiceUnavailableError(STORAGE_UNAVAILABLE[problem.reason]);
    }
    await readBody(ctx, next);
  };
}

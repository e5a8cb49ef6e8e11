import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ensureBootstrapKey } from './access/bootstrapKey.js';
import { ConfigError, loadConfig } from './config.js';
import { DataFolderInUseError, type LocalMariadb } from './db/localMariadb.js';
import { migrate } from './db/migrate.js';
import { openDatabase } from './db/openDatabase.js';
import { isGaleraNode } from './db/galera.js';
import { createPool, type Pool } from './db/pool.js';
import { createApp, type App } from './http/app.js';
import { createHttpServer } from './http/httpServer.js';
import { createLogger, type Logger } from './log.js';
import { watchProcess } from './metrics/metrics.js';
import { startMetricsServer } from './metrics/metricsServer.js';
import { createIdempotencySweeper, type IdempotencySweeper } from './sessions/idempotencySweeper.js';
import { readMaxAllowedPacket } from './store/readMaxAllowedPacket.js';
import { createRetentionSweeper } from './retention/sweeper.js';
import { serviceRulesOf } from './retention/policies.js';

async function main(): Promise<number> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  // From the first moment: a signal during the start is acted on once the start is done, rather
  // than killing the process and leaving its MariaDB running.
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => resolve(signal));
  });

  let local: LocalMariadb | undefined;
  let pool: Pool | undefined;
  let server: Server;
  let app: App;
  let metricsServer: Server | undefined;
  try {
    // As a `service`: refused while another process owns the data folder (see dataFolderLock.ts).
    const opened = await openDatabase(config.database, logger, 'service');
    local = opened.local;
    const { target } = opened;
    const applied = await migrate(target);
    if (applied.length > 0) logger.info('applied migrations', { migrations: applied });

    // On a Galera node, reads wait for the writes the cluster committed before them (read-your-writes
    // through any node), and /readyz asks whether the node is synced in the primary component.
    const galera = await isGaleraNode(target);
    if (galera) logger.info('the database is a Galera cluster node', { wsrepSyncWait: config.wsrepSyncWait });
    pool = createPool(target, config.dbPoolSize, config.dbQueueLimit, { wsrepSyncWait: galera ? config.wsrepSyncWait : undefined });
    const keyFile = await ensureBootstrapKey(pool, config.bootstrapKeyFile, { retryBudgetMs: config.txRetryBudgetMs });
    if (keyFile) {
      logger.info('no API keys existed: created a write key for tenant "default"; it is in this file (readable by its owner only)', { file: keyFile });
    }
    const maxAllowedPacket = await readMaxAllowedPacket(pool);
    if (maxAllowedPacket < config.bodyLimitBytes * 1.25) {
      logger.warn('the database max_allowed_packet is smaller than BODY_LIMIT_BYTES allows: the largest states will fail to save', {
        maxAllowedPacket,
        bodyLimitBytes: config.bodyLimitBytes,
      });
    }
    const storage = local ? local.storageProblem.bind(local) : undefined;
    app = createApp({ pool, config, logger, storage, galera: galera ? { wsrepSyncWait: config.wsrepSyncWait } : undefined });
    if (config.metricsPort !== undefined) {
      watchProcess({ pool, openStreams: () => app.feed.stats().streams, cacheBytes: () => app.store.cache.bytes });
      metricsServer = await startMetricsServer(config.metricsPort, config.metricsHost, logger);
    }
    server = createHttpServer(app);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, resolve);
    });
  } catch (error) {
    // Leave nothing running that this start began.
    metricsServer?.close();
    await pool?.end().catch(() => undefined);
    await local?.stop().catch((stopError: unknown) => logger.error('could not stop the local MariaDB', { error: stopError }));
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  logger.info('listening', { url: `http://${config.host}:${port}`, port, database: local ? 'local' : 'DATABASE_URL' });
  if (metricsServer) {
    const metricsPort = (metricsServer.address() as AddressInfo).port;
    logger.info('metrics listening', { url: `http://${config.metricsHost}:${metricsPort}/metrics`, metricsPort });
  }
  const sweeper = createIdempotencySweeper({
    pool,
    ttlSeconds: config.idempotencyTtlSeconds,
    intervalMs: config.idempotencySweepSeconds * 1000,
    logger,
  });
  sweeper.start();
  const retention = createRetentionSweeper(app.store, {
    intervalMs: config.retentionSweepSeconds * 1000,
    serviceRules: serviceRulesOf(config),
    batchRows: config.compactionBatchRows,
    logger,
  });
  retention.start();

  const signal = await signalled;
  return stop(signal, { server, metricsServer, app, pool, local, sweeper: { stop: () => Promise.all([sweeper.stop(), retention.stop()]).then(() => undefined) }, logger, graceMs: config.shutdownGraceMs });
}

/**
 * Stop accepting at once (the listening socket closes: a new connection is refused), end the
 * change feed streams (they would otherwise hold their connections until the grace period is
 * over; their readers resume elsewhere with Last-Event-ID), let requests in flight run to their
 * answer and a purge under way end its batch, then close the pool, then stop the managed MariaDB.
 */
async function stop(
  signal: string,
  {
    server,
    metricsServer,
    app,
    pool,
    local,
    sweeper,
    logger,
    graceMs,
  }: { server: Server; metricsServer: Server | undefined; app: App; pool: Pool; local: LocalMariadb | undefined; sweeper: Pick<IdempotencySweeper, 'stop'>; logger: Logger; graceMs: number },
): Promise<number> {
  logger.info('stopping: finishing requests in flight', { signal });
  const swept = sweeper.stop();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // The metrics listener stops accepting with the API's; its keep-alive connections close after the requests.
  const metricsClosed = new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
  app.closeStreams();
  // A keep-alive connection becomes idle when its request is answered: close it then, not at the
  // client's leisure.
  const idle = setInterval(() => server.closeIdleConnections(), 100);
  const grace = setTimeout(() => {
    logger.warn('grace period over: closing the connections still open', { ms: graceMs });
    server.closeAllConnections();
  }, graceMs);
  await closed;
  metricsServer?.closeAllConnections();
  await metricsClosed;
  clearInterval(idle);
  clearTimeout(grace);
  await swept;
  await pool.end();
  try {
    await local?.stop();
  } catch (error) {
    logger.error('could not stop the local MariaDB', { error: (error as Error).message });
    return 1;
  }
  logger.info('stopped');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Expected refusals (a bad setting, the data folder or the port taken) say all in their
    // message; a stack trace would only bury it. Anything else is a bug: its stack helps.
    const expected =
      error instanceof ConfigError ||
      error instanceof DataFolderInUseError ||
      ['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL'].includes((error as { code?: string })?.code ?? '');
    const detail = expected ? (error as Error).message : String((error as Error)?.stack ?? error);
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'error', message: 'could not start', error: detail })}\n`);
    process.exit(1);
  },
);

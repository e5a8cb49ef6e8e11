import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ensureBootstrapKey } from './access/bootstrapKey.js';
import { loadConfig } from './config.js';
import { DataFolderInUseError } from './db/localMariadb.js';
import { migrate } from './db/migrate.js';
import { openDatabase } from './db/openDatabase.js';
import { createPool, selectRows } from './db/pool.js';
import { createApp } from './http/app.js';
import { createLogger } from './log.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  // As a `service`: refused while another process owns the data folder (see dataFolderLock.ts).
  const { target, local } = await openDatabase(config.database, logger, 'service');
  const applied = await migrate(target);
  if (applied.length > 0) logger.info('applied migrations', { migrations: applied });

  const keyFile = await ensureBootstrapKey(target, config.bootstrapKeyFile);
  if (keyFile) {
    logger.info('no API keys existed: created a write key for tenant "default"; it is in this file (readable by its owner only)', { file: keyFile });
  }
  const pool = createPool(target, config.dbPoolSize);
  const [packet] = await selectRows<{ bytes: number }>(pool, 'SELECT @@max_allowed_packet AS bytes', []);
  if (packet && Number(packet.bytes) < config.bodyLimitBytes * 1.25) {
    logger.warn('the database max_allowed_packet is smaller than BODY_LIMIT_BYTES allows: the largest states will fail to save', {
      maxAllowedPacket: Number(packet.bytes),
      bodyLimitBytes: config.bodyLimitBytes,
    });
  }
  const app = createApp({ pool, config, logger });
  const server = createServer(app.koa.callback());
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  logger.info('listening', { url: `http://${config.host}:${port}`, port, database: local ? 'local' : 'DATABASE_URL' });

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping: finishing requests in flight', { signal });
    // Stop accepting; requests in flight (a save mid-transaction) run to their answer.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const grace = setTimeout(() => {
      logger.warn('grace period over: closing the connections still open', { ms: config.shutdownGraceMs });
      server.closeAllConnections();
    }, config.shutdownGraceMs);
    await closed;
    clearTimeout(grace);
    await pool.end();
    await local?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  // Another process owning the data folder is an expected refusal: its message says it all.
  const detail = error instanceof DataFolderInUseError ? error.message : String((error as Error)?.stack ?? error);
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'error', message: 'could not start', error: detail })}\n`);
  process.exit(1);
});

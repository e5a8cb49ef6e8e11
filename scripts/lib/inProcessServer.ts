import type { AddressInfo } from 'node:net';
import { loadConfig, type Config } from '../../src/config.js';
import { migrate } from '../../src/db/migrate.js';
import { openDatabase } from '../../src/db/openDatabase.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import type { DatabaseTarget } from '../../src/db/target.js';
import { createApp, type App } from '../../src/http/app.js';
import { createHttpServer } from '../../src/http/httpServer.js';
import { createLogger } from '../../src/log.js';
import { createKey } from '../../src/access/keys.js';
import { deleteApiKey } from '../../src/store/deleteApiKey.js';

export interface RunningService {
  config: Config;
  target: DatabaseTarget;
  pool: Pool;
  app: App;
  baseUrl: string;
  /** A temporary write key of `tenant`, deleted by close(). */
  token: string;
  /** fetch() with that key. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The service as `npm start` runs it (same configuration, same database), but on an ephemeral
 * loopback port inside this process, for scripts that drive it through real HTTP.
 */
export async function startService(overrides: Partial<Config> = {}, tenant = 'default'): Promise<RunningService> {
  const config = { ...loadConfig(), ...overrides };
  const logger = createLogger('warn');
  const { target, local } = await openDatabase(config.database, logger);
  await migrate(target);
  const pool = createPool(target, config.dbPoolSize, config.dbQueueLimit);
  const app = createApp({ pool, config, logger });
  const server = createHttpServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { key, token } = await createKey(pool, { tenant, role: 'write', description: 'temporary key of a script' });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    config,
    target,
    pool,
    app,
    baseUrl,
    token,
    fetch: (path, init = {}) =>
      fetch(`${baseUrl}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` } }),
    async close() {
      await deleteApiKey(pool, key.id);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
      await local?.stop();
    },
  };
}

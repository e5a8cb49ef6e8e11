import { loadConfig } from '../../src/config.js';
import type { LocalMariadb } from '../../src/db/localMariadb.js';
import { startLocalMariadb } from '../../src/db/localMariadb.js';
import { parseDatabaseUrl, type DatabaseTarget } from '../../src/db/target.js';
import { createLogger } from '../../src/log.js';
import { stopGaleraCluster } from './galera.js';

/**
 * The test MariaDB: the server DATABASE_URL names (its user must be allowed to create databases),
 * or the project's own local server, started here if it is not running and stopped at the end.
 * Each test file creates throwaway databases on it (see database.ts).
 */
let local: LocalMariadb | undefined;
let server: { target: (database: string) => DatabaseTarget } | undefined;

export function testServer(): { target: (database: string) => DatabaseTarget } {
  if (!server) throw new Error('the test MariaDB is not started (root hooks not loaded?)');
  return server;
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(600_000);
    const config = loadConfig();
    if (config.database.kind === 'url') {
      const base = parseDatabaseUrl(config.database.url);
      server = { target: (database) => ({ ...base, database }) };
      return;
    }
    local = await startLocalMariadb({
      dataDir: config.database.dataDir,
      autoInstall: config.database.autoInstall,
      // Held for the whole run: scripts the tests run (bench) use this server.
      role: 'tests',
      logger: createLogger(process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'warn'),
    });
    server = { target: (database) => local!.target(database) };
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(120_000);
    await stopGaleraCluster();
    await local?.stop();
  },
};

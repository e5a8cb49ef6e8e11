import type { DatabaseSetting } from '../config.js';
import type { Logger } from '../log.js';
import { startLocalMariadb, type LocalMariadb } from './localMariadb.js';
import { parseDatabaseUrl, type DatabaseTarget } from './target.js';

/** The database the managed local server holds the service's data in. */
export const LOCAL_DATABASE = 'session_store';

export interface OpenedDatabase {
  target: DatabaseTarget;
  /** The managed local server, when DATABASE_URL is not set. */
  local: LocalMariadb | undefined;
}

/** DATABASE_URL's server as it is, or the project's own MariaDB, started (or reused) and ready. */
export async function openDatabase(setting: DatabaseSetting, logger: Logger): Promise<OpenedDatabase> {
  if (setting.kind === 'url') return { target: parseDatabaseUrl(setting.url), local: undefined };
  const local = await startLocalMariadb({ dataDir: setting.dataDir, autoInstall: setting.autoInstall, logger });
  await local.ensureDatabase(LOCAL_DATABASE);
  return { target: local.target(LOCAL_DATABASE), local };
}

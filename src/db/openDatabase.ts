import type { DatabaseSetting } from '../config.js';
import type { Logger } from '../log.js';
import type { FolderRole } from './dataFolderLock.js';
import { startLocalMariadb, type LocalMariadb } from './localMariadb.js';
import { parseDatabaseUrl, type DatabaseTarget } from './target.js';

/** The database the managed local server holds the service's data in. */
export const LOCAL_DATABASE = 'session_store';

export interface OpenedDatabase {
  target: DatabaseTarget;
  /** The managed local server, when DATABASE_URL is not set. */
  local: LocalMariadb | undefined;
}

/**
 * DATABASE_URL's server as it is, or the project's own MariaDB, started (or the running one used)
 * and ready; `role` says what to do when another process owns the data folder (see LocalMariadbOptions).
 */
export async function openDatabase(setting: DatabaseSetting, logger: Logger, role: FolderRole = 'script'): Promise<OpenedDatabase> {
  if (setting.kind === 'url') return { target: parseDatabaseUrl(setting.url), local: undefined };
  const local = await startLocalMariadb({ dataDir: setting.dataDir, autoInstall: setting.autoInstall, logger, role });
  await local.ensureDatabase(LOCAL_DATABASE);
  return { target: local.target(LOCAL_DATABASE), local };
}

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, chmodSync, chownSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import type { Logger } from '../log.js';
import type { DatabaseTarget } from './target.js';

/**
 * The project's own MariaDB server, for a zero-configuration start and for the tests: its files
 * live under the data folder, it listens on a Unix socket only (no port to collide with), it is
 * initialised on first use, reused when already running, and stopped by whoever started it.
 */
export interface LocalMariadb {
  /** Connects as root to the given database of the local server. */
  target(database: string): DatabaseTarget;
  socketPath: string;
  /** True when this process started the server (and so stops it). */
  startedHere: boolean;
  /** Creates the database if it does not exist. */
  ensureDatabase(database: string): Promise<void>;
  /** Stops the server if this process started it; a no-op otherwise. */
  stop(): Promise<void>;
}

export interface LocalMariadbOptions {
  dataDir: string;
  /** Install Debian's mariadb-server with apt-get when the binaries are missing and we are root. */
  autoInstall: boolean;
  logger: Logger;
}

const SERVER_NAMES = ['mariadbd', 'mysqld'];
const INSTALL_DB_NAMES = ['mariadb-install-db', 'mysql_install_db'];
const EXTRA_BIN_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/mysql/bin', '/usr/local/mysql/scripts'];
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 60_000;

export async function startLocalMariadb(options: LocalMariadbOptions): Promise<LocalMariadb> {
  const { logger } = options;
  const dataDir = options.dataDir;
  const dbDir = join(dataDir, 'mariadb');
  const runDir = join(dataDir, 'run');
  const socketPath = socketPathFor(runDir);
  const pidFile = join(runDir, 'mariadb.pid');
  const errorLog = join(dataDir, 'mariadb.err');
  const asRoot = process.getuid?.() === 0;

  const rootTarget = (database: string): DatabaseTarget => ({ socketPath, user: 'root', password: '', database });
  let startedHere = false;

  if (!(await canConnect(socketPath))) {
    const binaries = findBinaries() ?? installBinaries(options);
    mkdirSync(runDir, { recursive: true });
    if (asRoot) {
      makeReachableFor('mysql', dataDir, logger);
      chownSync(dataDir, uidOf('mysql'), gidOf('mysql'));
      chownSync(runDir, uidOf('mysql'), gidOf('mysql'));
    }
    if (!existsSync(join(dbDir, 'mysql'))) initialise(binaries.installDb, dbDir, asRoot, logger);
    await launch(binaries.server, { dbDir, socketPath, pidFile, errorLog, asRoot }, logger);
    startedHere = true;
  } else {
    logger.info('reusing the local MariaDB already running', { socket: socketPath });
  }

  return {
    target: rootTarget,
    socketPath,
    startedHere,
    async ensureDatabase(database: string) {
      const connection = await mysql.createConnection({ socketPath, user: 'root', password: '' });
      try {
        await connection.query(`CREATE DATABASE IF NOT EXISTS ${mysql.escapeId(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      } finally {
        await connection.end();
      }
    },
    async stop() {
      if (!startedHere) return;
      startedHere = false;
      await shutdown(socketPath, pidFile, logger);
    },
  };
}

/** Unix socket paths are limited to ~107 bytes: a deep project folder gets a socket in the temp folder. */
function socketPathFor(runDir: string): string {
  const preferred = join(runDir, 'mariadb.sock');
  if (Buffer.byteLength(preferred) <= 100) return preferred;
  const tag = createHash('sha256').update(runDir).digest('hex').slice(0, 16);
  return join(tmpdir(), `session-store-${tag}.sock`);
}

async function canConnect(socketPath: string): Promise<boolean> {
  if (!existsSync(socketPath)) return false;
  try {
    const connection = await mysql.createConnection({ socketPath, user: 'root', password: '', connectTimeout: 2000 });
    await connection.end();
    return true;
  } catch {
    return false;
  }
}

interface Binaries {
  server: string;
  installDb: string;
}

function findExecutable(names: string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_BIN_DIRS];
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

function findBinaries(): Binaries | undefined {
  const server = findExecutable(SERVER_NAMES);
  const installDb = findExecutable(INSTALL_DB_NAMES);
  return server && installDb ? { server, installDb } : undefined;
}

function installBinaries(options: LocalMariadbOptions): Binaries {
  const howTo =
    'Install the MariaDB server (Debian/Ubuntu: `sudo apt-get install mariadb-server`), ' +
    'or set DATABASE_URL=mysql://user:pass@host:port/database to use a server you already run.';
  const aptGet = findExecutable(['apt-get']);
  if (!options.autoInstall || process.getuid?.() !== 0 || !aptGet) {
    throw new Error(`The MariaDB server binaries (mariadbd, mariadb-install-db) were not found. ${howTo}`);
  }
  options.logger.info('MariaDB is not installed: installing Debian package mariadb-server with apt-get');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'mariadb-server']]) {
    const result = spawnSync(aptGet, args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (result.status !== 0) {
      throw new Error(`apt-get ${args.join(' ')} failed (${result.status}): ${result.stderr.slice(-2000)}\n${howTo}`);
    }
  }
  const found = findBinaries();
  if (!found) throw new Error(`mariadb-server was installed but its binaries were not found. ${howTo}`);
  return found;
}

/**
 * mariadbd refuses to run as root, so as root it runs as `mysql`; that user must be able to reach
 * the data folder, and a project checked out under a private folder (mode 700, as `mktemp -d`
 * makes) is out of its reach. Grant search permission (x, not read) on such ancestors, and say so.
 */
function makeReachableFor(user: string, dataDir: string, logger: Logger): void {
  mkdirSync(dataDir, { recursive: true });
  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    const { mode } = statSync(dir);
    if ((mode & 0o001) === 0) {
      chmodSync(dir, mode | 0o001);
      logger.info(`granted others search permission on ${dir} so that the ${user} user can reach the data folder`);
    }
    if (dirname(dir) === dir) break;
  }
}

function idOf(flag: '-u' | '-g', user: string): number {
  const result = spawnSync('id', [flag, user], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`there is no "${user}" user to run mariadbd as (it refuses to run as root)`);
  return Number(result.stdout.trim());
}
const uidOf = (user: string): number => idOf('-u', user);
const gidOf = (user: string): number => idOf('-g', user);

/** Initialises into a fresh folder and renames it into place, so a failed attempt leaves nothing half-made. */
function initialise(installDb: string, dbDir: string, asRoot: boolean, logger: Logger): void {
  const staging = `${dbDir}.initialising`;
  rmSync(staging, { recursive: true, force: true });
  logger.info('initialising the local MariaDB data folder', { dataDir: dbDir });
  const args = [
    '--no-defaults',
    `--datadir=${staging}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    ...(asRoot ? ['--user=mysql'] : []),
  ];
  const result = spawnSync(installDb, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    throw new Error(`${installDb} failed (${result.status}):\n${(result.stdout + result.stderr).slice(-3000)}`);
  }
  renameSync(staging, dbDir);
}

interface LaunchPaths {
  dbDir: string;
  socketPath: string;
  pidFile: string;
  errorLog: string;
  asRoot: boolean;
}

async function launch(server: string, paths: LaunchPaths, logger: Logger): Promise<void> {
  const args = [
    '--no-defaults',
    `--datadir=${paths.dbDir}`,
    `--socket=${paths.socketPath}`,
    `--pid-file=${paths.pidFile}`,
    `--log-error=${paths.errorLog}`,
    '--skip-networking',
    ...(paths.asRoot ? ['--user=mysql'] : []),
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_bin',
    // A 16 MiB state travels as one packet, with room to spare.
    '--max-allowed-packet=256M',
    '--innodb-buffer-pool-size=256M',
    // Durability: every commit is flushed to disk before it is acknowledged (the default, stated).
    '--innodb-flush-log-at-trx-commit=1',
    '--max-connections=500',
  ];
  const child = spawn(server, args, { detached: true, stdio: 'ignore' });
  let exited: number | null | undefined;
  child.on('exit', (code) => {
    exited = code;
  });
  child.unref();
  logger.info('starting the local MariaDB', { socket: paths.socketPath });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited !== undefined) break;
    if (await canConnect(paths.socketPath)) return;
    await sleep(100);
  }
  const log = existsSync(paths.errorLog) ? readFileSync(paths.errorLog, 'utf8').slice(-3000) : '(no error log)';
  throw new Error(
    exited !== undefined
      ? `the local MariaDB exited (code ${exited}) while starting; its log ends:\n${log}`
      : `the local MariaDB did not accept connections within ${START_TIMEOUT_MS / 1000}s; its log ends:\n${log}`,
  );
}

async function shutdown(socketPath: string, pidFile: string, logger: Logger): Promise<void> {
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined;
  try {
    const connection = await mysql.createConnection({ socketPath, user: 'root', password: '' });
    await connection.query('SHUTDOWN');
    await connection.end().catch(() => undefined);
  } catch (error) {
    logger.warn('could not ask the local MariaDB to shut down', { error });
    if (pid) process.kill(pid, 'SIGTERM');
  }
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (pid && isAlive(pid) && Date.now() < deadline) await sleep(50);
  logger.info('stopped the local MariaDB');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

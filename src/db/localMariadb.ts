import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, chmodSync, chownSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { childEnvironment, executableSearchPath } from '../config.js';
import type { Logger } from '../log.js';
import { claimFolder, isAlive, isLongLived, type FolderHolder, type FolderRole } from './dataFolderLock.js';
import type { DatabaseTarget } from './target.js';

/**
 * The project's own MariaDB server, for a zero-configuration start and for the tests: its files
 * live under the data folder, it listens on a Unix socket only (no port to collide with), it is
 * initialised on first use and stopped by the process that owns the folder. One process at a time
 * owns a folder (a lock file, see dataFolderLock.ts): it starts the server, or takes over one left
 * running, and stops it; others use its server without owning it, or wait, or refuse (the role).
 */
export interface LocalMariadb {
  /** Connects as root to the given database of the local server. */
  target(database: string): DatabaseTarget;
  socketPath: string;
  /** True when this process owns the data folder: it started (or took over) the server and stops it. */
  startedHere: boolean;
  /** Creates the database if it does not exist. */
  ensureDatabase(database: string): Promise<void>;
  /** Why the server's files cannot take writes now (folder gone or replaced, disk full); undefined when they can. */
  storageProblem(): StorageProblem | undefined;
  /** Stops the server and releases the folder if this process owns it; a no-op otherwise. */
  stop(): Promise<void>;
}

export interface StorageProblem {
  reason: 'missing' | 'full';
  /** For the log: paths and figures. */
  detail: string;
}

export interface LocalMariadbOptions {
  dataDir: string;
  /** Install Debian's mariadb-server with apt-get when the binaries are missing and we are root. */
  autoInstall: boolean;
  logger: Logger;
  /** What this process is (dataFolderLock.ts): decides whether it waits, uses the running server or refuses. Default `script`. */
  role?: FolderRole;
  /** How long stop() waits for the server to exit (tests shorten it). */
  stopTimeoutMs?: number;
}

/** Another process owns the data folder: the message says which and what to do. */
export class DataFolderInUseError extends Error {
  constructor(dataDir: string, holder: FolderHolder) {
    super(
      `the data folder ${dataDir} is in use by another process (pid ${holder.pid}: ${holder.command}), which runs its MariaDB; ` +
        'stop that process first, or give this one its own DATA_DIR (or a DATABASE_URL)',
    );
  }
}

const SERVER_NAMES = ['mariadbd', 'mysqld'];
const INSTALL_DB_NAMES = ['mariadb-install-db', 'mysql_install_db'];
const EXTRA_BIN_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/mysql/bin', '/usr/local/mysql/scripts'];
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 60_000;
/** Below this much free space where the server keeps its files, it is reported full (see storageProblem). */
const MIN_FREE_BYTES = 64 * 1024 * 1024;

interface Paths {
  dataDir: string;
  dbDir: string;
  runDir: string;
  /** The server's own temporary folder: servers sharing /tmp can collide on temporary table names. */
  tmpDir: string;
  socketPath: string;
  pidFile: string;
  errorLog: string;
  asRoot: boolean;
}

/** Calls for one folder within this process run one after the other. */
const pending = new Map<string, Promise<unknown>>();

export async function startLocalMariadb(options: LocalMariadbOptions): Promise<LocalMariadb> {
  const key = resolve(options.dataDir);
  const previous = pending.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => openLocalMariadb(options));
  pending.set(key, next);
  try {
    return await next;
  } finally {
    if (pending.get(key) === next) pending.delete(key);
  }
}

async function openLocalMariadb(options: LocalMariadbOptions): Promise<LocalMariadb> {
  const { logger, dataDir } = options;
  const role = options.role ?? 'script';
  const runDir = join(dataDir, 'run');
  const paths: Paths = {
    dataDir,
    dbDir: join(dataDir, 'mariadb'),
    runDir,
    tmpDir: join(dataDir, 'tmp'),
    socketPath: socketPathFor(runDir),
    pidFile: join(runDir, 'mariadb.pid'),
    errorLog: join(dataDir, 'mariadb.err'),
    asRoot: process.getuid?.() === 0,
  };
  mkdirSync(dataDir, { recursive: true });

  const deadline = Date.now() + START_TIMEOUT_MS;
  let waitingFor: number | undefined;
  for (;;) {
    const claim = await claimFolder(dataDir, role);
    if (claim.owned) {
      try {
        const pid = await runServer(options, paths);
        return handle(paths, { owned: true, pid, release: claim.release }, options);
      } catch (error) {
        claim.release();
        throw error;
      }
    }
    const { holder } = claim;
    if (isLongLived(holder.role)) {
      if (role === 'service') throw new DataFolderInUseError(dataDir, holder);
      if (await canConnect(paths.socketPath)) {
        logger.info('using the local MariaDB of the process that owns the data folder', { pid: holder.pid, socket: paths.socketPath });
        return handle(paths, { owned: false }, options);
      }
    }
    // A script owns it (for as long as it runs), or the owner's server is still starting: wait.
    if (Date.now() > deadline) {
      if (!isLongLived(holder.role)) throw new DataFolderInUseError(dataDir, holder);
      throw new Error(`the data folder ${dataDir} is owned by pid ${holder.pid} (${holder.command}), but its MariaDB did not accept connections within ${START_TIMEOUT_MS / 1000}s`);
    }
    if (waitingFor !== holder.pid) {
      waitingFor = holder.pid;
      logger.info(!isLongLived(holder.role) ? 'waiting for the process that holds the data folder to finish' : 'waiting for the local MariaDB of the process that owns the data folder', {
        pid: holder.pid,
        command: holder.command,
      });
    }
    await sleep(200);
  }
}

/** As the folder's owner: takes over the server already running on it, or starts one. Returns its pid. */
async function runServer(options: LocalMariadbOptions, paths: Paths): Promise<number | undefined> {
  const { logger } = options;
  // A server left running by an owner that died (kill -9): take it over once it accepts connections.
  const running = serverOnFolder(paths);
  if (running !== undefined || (await canConnect(paths.socketPath))) {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (await canConnect(paths.socketPath)) {
        const pid = running ?? serverOnFolder(paths);
        logger.info('taking over the local MariaDB left running on this data folder', { pid, socket: paths.socketPath });
        return pid;
      }
      if (running === undefined || !isServerProcess(running, paths.dbDir)) break; // it is gone: start our own
      if (Date.now() > deadline) {
        throw new Error(`a MariaDB (pid ${running}) runs on ${paths.dbDir} but does not accept connections: stop it, then start again`);
      }
      await sleep(100);
    }
  }
  const binaries = findBinaries() ?? installBinaries(options);
  mkdirSync(paths.runDir, { recursive: true });
  mkdirSync(paths.tmpDir, { recursive: true });
  if (paths.asRoot) {
    makeReachableFor('mysql', paths.dataDir, logger);
    chownSync(paths.dataDir, uidOf('mysql'), gidOf('mysql'));
    chownSync(paths.runDir, uidOf('mysql'), gidOf('mysql'));
    chownSync(paths.tmpDir, uidOf('mysql'), gidOf('mysql'));
  }
  if (!existsSync(join(paths.dbDir, 'mysql'))) initialise(binaries.installDb, paths, logger);
  return launch(binaries.server, paths, logger);
}

type Ownership = { owned: true; pid: number | undefined; release(): void } | { owned: false };

function handle(paths: Paths, ownership: Ownership, options: LocalMariadbOptions): LocalMariadb {
  const { socketPath, dbDir } = paths;
  const { logger } = options;
  // The folder the server was started on: removed or replaced, the server's files are not in it.
  const identity = statSync(dbDir);
  let owned = ownership.owned;
  return {
    target: (database: string): DatabaseTarget => ({ socketPath, user: 'root', password: '', database }),
    socketPath,
    get startedHere() {
      return owned;
    },
    async ensureDatabase(database: string) {
      const connection = await mysql.createConnection({ socketPath, user: 'root', password: '' });
      try {
        await connection.query(`CREATE DATABASE IF NOT EXISTS ${mysql.escapeId(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      } finally {
        await connection.end();
      }
    },
    storageProblem() {
      let now;
      let free;
      try {
        now = statSync(dbDir);
        const space = statfsSync(dbDir);
        free = space.bavail * space.bsize;
      } catch {
        return { reason: 'missing', detail: `${dbDir} does not exist` };
      }
      if (now.ino !== identity.ino || now.dev !== identity.dev) {
        return { reason: 'missing', detail: `${dbDir} is not the folder the server started on (it was removed or replaced)` };
      }
      if (free < MIN_FREE_BYTES) return { reason: 'full', detail: `${free} bytes free on the filesystem of ${dbDir}` };
      return undefined;
    },
    async stop() {
      if (!owned || !ownership.owned) return;
      owned = false;
      try {
        await shutdown(socketPath, ownership.pid ?? serverOnFolder(paths), dbDir, options.stopTimeoutMs ?? STOP_TIMEOUT_MS, logger);
      } finally {
        ownership.release();
      }
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

export async function canConnect(socketPath: string): Promise<boolean> {
  if (!existsSync(socketPath)) return false;
  try {
    const connection = await mysql.createConnection({ socketPath, user: 'root', password: '', connectTimeout: 2000 });
    await connection.end();
    return true;
  } catch {
    return false;
  }
}

export interface Binaries {
  server: string;
  installDb: string;
}

export function findExecutable(names: string[]): string | undefined {
  const dirs = [...executableSearchPath(), ...EXTRA_BIN_DIRS];
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findBinaries(): Binaries | undefined {
  const server = findExecutable(SERVER_NAMES);
  const installDb = findExecutable(INSTALL_DB_NAMES);
  return server && installDb ? { server, installDb } : undefined;
}

export function installBinaries(options: Pick<LocalMariadbOptions, 'autoInstall' | 'logger'>): Binaries {
  const howTo =
    'Install the MariaDB server (Debian/Ubuntu: `sudo apt-get install mariadb-server`), ' +
    'or set DATABASE_URL=mysql://user:pass@host:port/database to use a server you already run.';
  const aptGet = findExecutable(['apt-get']);
  if (!options.autoInstall || process.getuid?.() !== 0 || !aptGet) {
    throw new Error(`The MariaDB server binaries (mariadbd, mariadb-install-db) were not found. ${howTo}`);
  }
  options.logger.info('MariaDB is not installed: installing Debian package mariadb-server with apt-get');
  installDebianPackages(['mariadb-server'], howTo);
  const found = findBinaries();
  if (!found) throw new Error(`mariadb-server was installed but its binaries were not found. ${howTo}`);
  return found;
}

/** `apt-get update`, then installs the packages (root only); `howTo` ends the message of a failure. */
export function installDebianPackages(packages: string[], howTo: string): void {
  const aptGet = findExecutable(['apt-get']);
  if (process.getuid?.() !== 0 || !aptGet) throw new Error(`${packages.join(', ')} must be installed (as root, with apt-get). ${howTo}`);
  const env = childEnvironment({ DEBIAN_FRONTEND: 'noninteractive' });
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...packages]]) {
    const result = spawnSync(aptGet, args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (result.status !== 0) {
      throw new Error(`apt-get ${args.join(' ')} failed (${result.status}): ${result.stderr.slice(-2000)}\n${howTo}`);
    }
  }
}

/**
 * mariadbd refuses to run as root, so as root it runs as `mysql`; that user must be able to reach
 * the data folder, and a project checked out under a private folder (mode 700, as `mktemp -d`
 * makes) is out of its reach. Grant search permission (x, not read) on such ancestors, and say so.
 */
export function makeReachableFor(user: string, dataDir: string, logger: Logger): void {
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
export const uidOf = (user: string): number => idOf('-u', user);
export const gidOf = (user: string): number => idOf('-g', user);

/** Initialises into a fresh folder and renames it into place, so a failed attempt leaves nothing half-made. */
function initialise(installDb: string, paths: Paths, logger: Logger): void {
  const { dbDir, asRoot } = paths;
  const staging = `${dbDir}.initialising`;
  rmSync(staging, { recursive: true, force: true });
  logger.info('initialising the local MariaDB data folder', { dataDir: dbDir });
  const args = [
    '--no-defaults',
    `--datadir=${staging}`,
    // Its own temporary folder: two bootstraps at once in a shared /tmp were seen to remove each
    // other's temporary tables ("Can't find file: '/tmp/#sql-temptable-…'").
    `--tmpdir=${paths.tmpDir}`,
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

async function launch(server: string, paths: Paths, logger: Logger): Promise<number | undefined> {
  const args = [
    '--no-defaults',
    `--datadir=${paths.dbDir}`,
    `--socket=${paths.socketPath}`,
    `--pid-file=${paths.pidFile}`,
    `--log-error=${paths.errorLog}`,
    `--tmpdir=${paths.tmpDir}`,
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
    if (await canConnect(paths.socketPath)) return child.pid;
    await sleep(100);
  }
  const log = existsSync(paths.errorLog) ? readFileSync(paths.errorLog, 'utf8').slice(-3000) : '(no error log)';
  throw new Error(
    exited !== undefined
      ? `the local MariaDB exited (code ${exited}) while starting; its log ends:\n${log}`
      : `the local MariaDB did not accept connections within ${START_TIMEOUT_MS / 1000}s; its log ends:\n${log}`,
  );
}

/**
 * Asks the server to shut down (SHUTDOWN over its socket, or SIGTERM to its pid when the socket is
 * gone) and waits for it to exit. A pid that is no longer a MariaDB on this folder (a stale pid
 * file, a recycled pid) is never signalled; a server still running at the deadline is an error.
 */
async function shutdown(socketPath: string, pid: number | undefined, dbDir: string, timeoutMs: number, logger: Logger): Promise<void> {
  try {
    const connection = await mysql.createConnection({ socketPath, user: 'root', password: '', connectTimeout: 2000 });
    await connection.query('SHUTDOWN');
    await connection.end().catch(() => undefined);
  } catch (error) {
    if (pid === undefined || !isServerProcess(pid, dbDir)) {
      logger.info('the local MariaDB was not running', { pid });
      return;
    }
    logger.warn('could not ask the local MariaDB to shut down over its socket: sending it SIGTERM', { pid, error: (error as Error).message });
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // it exited meanwhile
    }
  }
  const deadline = Date.now() + timeoutMs;
  const running = (): boolean => (pid === undefined ? existsSync(socketPath) : isServerProcess(pid, dbDir));
  while (running() && Date.now() < deadline) await sleep(50);
  if (running()) {
    throw new Error(`the local MariaDB (pid ${pid ?? 'unknown'}) did not stop within ${timeoutMs / 1000}s; it is still running`);
  }
  logger.info('stopped the local MariaDB');
}

/** The pid of the MariaDB running on this folder: its pid file's, when that is still the one; else found in /proc. */
function serverOnFolder(paths: Paths): number | undefined {
  const fromFile = existsSync(paths.pidFile) ? Number(readFileSync(paths.pidFile, 'utf8').trim()) : NaN;
  if (Number.isInteger(fromFile) && fromFile > 0 && isServerProcess(fromFile, paths.dbDir)) return fromFile;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && commandLine(pid)?.includes(`--datadir=${paths.dbDir}`) && isServerProcess(pid, paths.dbDir)) return pid;
  }
  return undefined;
}

/** Whether pid is a live MariaDB server on this folder (where there is no /proc: whether it is alive). */
function isServerProcess(pid: number, dbDir: string): boolean {
  const args = commandLine(pid);
  if (args === undefined) return existsSync('/proc') ? false : isAlive(pid);
  return SERVER_NAMES.includes(basename(args[0] ?? '')) && args.includes(`--datadir=${dbDir}`);
}

function commandLine(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw ? raw.split('\0') : undefined; // empty: a zombie
  } catch {
    return undefined;
  }
}

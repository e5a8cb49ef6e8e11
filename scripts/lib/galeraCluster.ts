import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { findBinaries, findExecutable, gidOf, installBinaries, installDebianPackages, makeReachableFor, uidOf } from '../../src/db/localMariadb.js';
import type { DatabaseTarget } from '../../src/db/target.js';
import type { Logger } from '../../src/log.js';

/**
 * A MariaDB Galera cluster of `size` nodes on loopback, for the tests, the cluster benchmark and
 * an operator trying a deployment out: each node a mariadbd of its own with its own data folder
 * under `baseDir` and its own ports (SQL, group communication, IST, SST), the first node
 * bootstrapping the cluster and the others joining it by state snapshot transfer (rsync), as on
 * three machines. As root (mariadbd then runs as `mysql`), the Debian packages it needs (galera-4,
 * rsync, mariadb-server) are installed with apt-get when missing, as the project's own MariaDB is.
 */
export interface GaleraCluster {
  nodes: GaleraNode[];
  /** The user the service connects as (all privileges, over TCP, with a password). */
  target(node: number, database: string): DatabaseTarget;
  /** A `mysql://` URL of that target, for DATABASE_URL. */
  url(node: number, database: string): string;
  /** SIGKILL to one node's mariadbd: a machine lost, no goodbye to the cluster. */
  kill(node: number): Promise<void>;
  /** Starts a node that was killed or stopped; it rejoins (by IST or SST) and is waited for until synced. */
  restart(node: number): Promise<void>;
  /** Waits until every running node is synced in a primary component of all the running nodes. */
  waitSynced(timeoutMs?: number): Promise<void>;
  /** Runs one statement as root on one node (administration: CREATE DATABASE, SHOW STATUS...). */
  query<T = unknown>(node: number, sql: string, values?: unknown[]): Promise<T>;
  /** Stops every node (and removes `baseDir` when `remove`). */
  stop(options?: { remove?: boolean }): Promise<void>;
}

export interface GaleraNode {
  name: string;
  /** SQL port on 127.0.0.1. */
  port: number;
  socketPath: string;
  dataDir: string;
  errorLog: string;
  /** The running mariadbd, when it runs. */
  pid(): number | undefined;
}

export interface GaleraClusterOptions {
  baseDir: string;
  size?: number;
  logger: Logger;
  /** Install missing Debian packages with apt-get (root only). Default true. */
  autoInstall?: boolean;
  /**
   * Group communication timings. The defaults here are short (a dead node is evicted within about
   * 3 s, where Galera's own defaults take 5 to 15 s) so that the tests do not wait on them; the
   * README says what they cost and what production keeps.
   */
  providerOptions?: string;
  /** InnoDB buffer pool per node; small, as three nodes share one machine. */
  bufferPool?: string;
}

export const SERVICE_USER = 'session_store';
export const SERVICE_PASSWORD = 'galera-loopback';
const PROVIDER_PATHS = ['/usr/lib/galera/libgalera_smm.so', '/usr/lib/libgalera_smm.so', '/usr/lib64/galera-4/libgalera_smm.so', '/usr/lib64/galera/libgalera_smm.so'];
// Faster than Galera's defaults (5 s / 15 s), so a killed node is evicted within seconds in the
// tests, but not so fast that two live nodes starved of CPU on a 2-core machine (a rejoin's rsync
// running beside them) suspect each other and drop out of the primary component: with 2 s / 3 s
// both survivors once answered 1047 (503) together for about a second during a rejoin.
const FAST_FAILURE_DETECTION = 'evs.keepalive_period=PT0.5S;evs.inactive_check_period=PT0.5S;evs.suspect_timeout=PT4S;evs.inactive_timeout=PT6S;evs.install_timeout=PT6S';
const START_TIMEOUT_MS = 120_000;

interface NodeState extends GaleraNode {
  index: number;
  groupPort: number;
  istPort: number;
  sstPort: number;
  runDir: string;
  tmpDir: string;
  child: ChildProcess | undefined;
}

export async function startGaleraCluster(options: GaleraClusterOptions): Promise<GaleraCluster> {
  const { baseDir, logger } = options;
  const size = options.size ?? 3;
  const autoInstall = options.autoInstall ?? true;
  const { server, installDb, provider } = ensureSoftware(autoInstall, logger);
  const asRoot = process.getuid?.() === 0;
  mkdirSync(baseDir, { recursive: true });
  // mariadbd runs as `mysql`: it must reach the nodes' folders (a mkdtemp folder is mode 700).
  if (asRoot) {
    makeReachableFor('mysql', baseDir, logger);
    chmodSync(baseDir, statSync(baseDir).mode | 0o001);
  }

  const ports = await freePorts(size * 4);
  const nodes: NodeState[] = Array.from({ length: size }, (_, index) => {
    const dir = join(baseDir, `node${index + 1}`);
    const runDir = join(dir, 'run');
    return {
      index,
      name: `node${index + 1}`,
      port: ports[index * 4]!,
      groupPort: ports[index * 4 + 1]!,
      istPort: ports[index * 4 + 2]!,
      sstPort: ports[index * 4 + 3]!,
      dataDir: join(dir, 'data'),
      runDir,
      tmpDir: join(dir, 'tmp'),
      socketPath: join(runDir, 'mariadb.sock'),
      errorLog: join(dir, 'mariadb.err'),
      child: undefined,
      pid(this: NodeState) {
        return this.child && this.child.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
      },
    };
  });
  const clusterAddress = `gcomm://${nodes.map((node) => `127.0.0.1:${node.groupPort}`).join(',')}`;

  const prepare = (node: NodeState): void => {
    for (const dir of [join(baseDir, node.name), node.dataDir, node.runDir, node.tmpDir]) {
      mkdirSync(dir, { recursive: true });
      if (asRoot) chownSync(dir, uidOf('mysql'), gidOf('mysql'));
    }
  };

  const serverArgs = (node: NodeState, bootstrap: boolean): string[] => [
    '--no-defaults',
    `--datadir=${node.dataDir}`,
    `--socket=${node.socketPath}`,
    `--pid-file=${join(node.runDir, 'mariadb.pid')}`,
    `--log-error=${node.errorLog}`,
    `--tmpdir=${node.tmpDir}`,
    `--port=${node.port}`,
    '--bind-address=127.0.0.1',
    ...(asRoot ? ['--user=mysql'] : []),
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_bin',
    '--max-allowed-packet=256M',
    `--innodb-buffer-pool-size=${options.bufferPool ?? '128M'}`,
    '--innodb-flush-log-at-trx-commit=1',
    '--max-connections=500',
    // What Galera requires: row-based replication, InnoDB, interleaved auto-increment locks.
    '--binlog-format=ROW',
    '--default-storage-engine=InnoDB',
    '--innodb-autoinc-lock-mode=2',
    '--wsrep-on=ON',
    `--wsrep-provider=${provider}`,
    '--wsrep-cluster-name=session-store',
    `--wsrep-cluster-address=${clusterAddress}`,
    `--wsrep-node-name=${node.name}`,
    `--wsrep-node-address=127.0.0.1:${node.groupPort}`,
    `--wsrep-node-incoming-address=127.0.0.1:${node.port}`,
    `--wsrep-provider-options=base_host=127.0.0.1;base_port=${node.groupPort};ist.recv_addr=127.0.0.1:${node.istPort};${['gcache.size=64M', options.providerOptions ?? FAST_FAILURE_DETECTION].filter(Boolean).join(';')}`,
    '--wsrep-sst-method=rsync',
    `--wsrep-sst-receive-address=127.0.0.1:${node.sstPort}`,
    '--wsrep-slave-threads=2',
    ...(bootstrap ? ['--wsrep-new-cluster'] : []),
  ];

  /**
   * The last transaction a node that was killed had committed, as `mariadbd --wsrep-recover`
   * reads it from InnoDB (what Debian's galera_recovery does before a unit starts): started from
   * there, the node rejoins by an incremental transfer of what it missed (IST, from the donor's
   * gcache) instead of a full copy of the data folder, which blocks the donor and starves two
   * shared cores. Undefined when it cannot be read (the node then rejoins by SST).
   */
  const recoveredPosition = async (node: NodeState): Promise<string | undefined> => {
    const log = join(baseDir, node.name, 'recover.err');
    rmSync(log, { force: true });
    const args = serverArgs(node, false).map((arg) => (arg.startsWith('--log-error=') ? `--log-error=${log}` : arg));
    const child = spawn(server, [...args, '--wsrep-recover'], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('exit', resolve));
    const match = existsSync(log) ? /WSREP: Recovered position: ([0-9a-f-]{36}:-?\d+)/.exec(readFileSync(log, 'utf8')) : null;
    return match && !match[1]!.endsWith(':-1') ? match[1] : undefined;
  };

  const launch = async (node: NodeState, bootstrap: boolean, startPosition?: string): Promise<void> => {
    const args = [...serverArgs(node, bootstrap), ...(startPosition ? [`--wsrep-start-position=${startPosition}`] : [])];
    const child = spawn(server, args, { detached: true, stdio: 'ignore' });
    child.unref();
    node.child = child;
    logger.info('starting a Galera node', { node: node.name, port: node.port, bootstrap });
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      if ((await nodeState(node)) === 'Synced') return;
      await sleep(200);
    }
    const log = existsSync(node.errorLog) ? readFileSync(node.errorLog, 'utf8').slice(-4000) : '(no error log)';
    throw new Error(`Galera ${node.name} did not become synced within ${START_TIMEOUT_MS / 1000}s (exit ${child.exitCode ?? child.signalCode ?? 'none'}); its log ends:\n${log}`);
  };

  const rootQuery = async <T>(node: NodeState, sql: string, values: unknown[] = []): Promise<T> => {
    const connection = await mysql.createConnection({ socketPath: node.socketPath, user: 'root', password: '', connectTimeout: 5000 });
    try {
      const [rows] = await connection.query(sql, values);
      return rows as T;
    } finally {
      await connection.end().catch(() => undefined);
    }
  };

  const cluster: GaleraCluster = {
    nodes,
    target: (index, database) => ({ host: '127.0.0.1', port: nodes[index]!.port, user: SERVICE_USER, password: SERVICE_PASSWORD, database }),
    url: (index, database) => `mysql://${SERVICE_USER}:${SERVICE_PASSWORD}@127.0.0.1:${nodes[index]!.port}/${database}`,
    async kill(index) {
      const node = nodes[index]!;
      const child = node.child;
      if (!child || node.pid() === undefined) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      logger.info('killed a Galera node', { node: node.name });
    },
    async restart(index) {
      const node = nodes[index]!;
      if (node.pid() !== undefined) return;
      const position = await recoveredPosition(node);
      logger.info('restarting a Galera node', { node: node.name, startPosition: position ?? '(unknown: a full state transfer)' });
      await launch(node, false, position);
    },
    async waitSynced(timeoutMs = START_TIMEOUT_MS) {
      const running = nodes.filter((node) => node.pid() !== undefined);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const states = await Promise.all(running.map((node) => nodeStatus(node)));
        if (states.every((status) => status.state === 'Synced' && status.primary && status.size === running.length)) return;
        if (Date.now() > deadline) throw new Error(`the cluster did not settle within ${timeoutMs / 1000}s: ${JSON.stringify(states)}`);
        await sleep(200);
      }
    },
    query: (index, sql, values) => rootQuery(nodes[index]!, sql, values),
    async stop({ remove = false } = {}) {
      // The joiners first and the bootstrap node last, each asked to shut down cleanly.
      for (const node of [...nodes].reverse()) {
        const child = node.child;
        if (!child || node.pid() === undefined) continue;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const stopped = await Promise.race([exited.then(() => true), sleep(30_000).then(() => false)]);
        if (!stopped) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      if (remove) rmSync(baseDir, { recursive: true, force: true });
    },
  };

  try {
    const [first, ...others] = nodes;
    prepare(first!);
    if (!existsSync(join(first!.dataDir, 'mysql'))) initialise(installDb, first!, asRoot);
    await launch(first!, true);
    await rootQuery(first!, `CREATE USER IF NOT EXISTS '${SERVICE_USER}'@'127.0.0.1' IDENTIFIED BY '${SERVICE_PASSWORD}'`);
    await rootQuery(first!, `GRANT ALL PRIVILEGES ON *.* TO '${SERVICE_USER}'@'127.0.0.1'`);
    // One joiner at a time: each takes a full copy from a donor, which is blocked meanwhile.
    for (const node of others) {
      prepare(node);
      await launch(node, false);
    }
    await cluster.waitSynced();
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    throw error;
  }
  return cluster;
}

/** wsrep_local_state_comment of a node ('Synced', 'Donor/Desynced', 'Joining'...), or undefined when it does not answer. */
async function nodeState(node: NodeState): Promise<string | undefined> {
  return (await nodeStatus(node)).state;
}

async function nodeStatus(node: NodeState): Promise<{ node: string; state?: string; primary?: boolean; size?: number }> {
  if (!existsSync(node.socketPath)) return { node: node.name };
  try {
    const connection = await mysql.createConnection({ socketPath: node.socketPath, user: 'root', password: '', connectTimeout: 2000 });
    try {
      const [rows] = await connection.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state_comment', 'wsrep_cluster_status', 'wsrep_cluster_size')");
      const status = Object.fromEntries((rows as { Variable_name: string; Value: string }[]).map((row) => [row.Variable_name, row.Value]));
      return { node: node.name, state: status.wsrep_local_state_comment, primary: status.wsrep_cluster_status === 'Primary', size: Number(status.wsrep_cluster_size) };
    } finally {
      await connection.end().catch(() => undefined);
    }
  } catch {
    return { node: node.name };
  }
}

function ensureSoftware(autoInstall: boolean, logger: Logger): { server: string; installDb: string; provider: string } {
  const howTo = 'Install them (Debian/Ubuntu: `sudo apt-get install mariadb-server galera-4 rsync`).';
  const provider = (): string | undefined => PROVIDER_PATHS.find((path) => existsSync(path));
  const missing = [
    ...(provider() ? [] : ['galera-4']),
    ...(findExecutable(['rsync']) ? [] : ['rsync']),
    // The rsync SST script checks its listener with ss (iproute2) or lsof.
    ...(findExecutable(['ss', 'lsof']) ? [] : ['iproute2']),
  ];
  if (missing.length > 0) {
    if (!autoInstall) throw new Error(`A Galera cluster needs ${missing.join(', ')}. ${howTo}`);
    logger.info('installing Debian packages for the Galera cluster with apt-get', { packages: missing });
    installDebianPackages(missing, howTo);
  }
  const binaries = findBinaries() ?? installBinaries({ autoInstall, logger });
  const found = provider();
  if (!found) throw new Error(`galera-4 is installed but libgalera_smm.so was not found in ${PROVIDER_PATHS.join(', ')}`);
  return { server: binaries.server, installDb: binaries.installDb, provider: found };
}

function initialise(installDb: string, node: NodeState, asRoot: boolean): void {
  rmSync(node.dataDir, { recursive: true, force: true });
  mkdirSync(node.dataDir, { recursive: true });
  if (asRoot) chownSync(node.dataDir, uidOf('mysql'), gidOf('mysql'));
  const args = ['--no-defaults', `--datadir=${node.dataDir}`, `--tmpdir=${node.tmpDir}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...(asRoot ? ['--user=mysql'] : [])];
  const result = spawnSync(installDb, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw new Error(`${installDb} failed (${result.status}):\n${(result.stdout + result.stderr).slice(-3000)}`);
}

/** Ports nothing listens on now, from the kernel's ephemeral range (held together, so all distinct). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<import('node:net').Server>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

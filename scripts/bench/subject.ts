/** The service under test: a fresh database, a write key, the real server in its own process. */
import mysql from 'mysql2/promise';
import { createKey } from '../../src/access/keys.js';
import { migrate } from '../../src/db/migrate.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/openDatabase.js';
import { connectionOptions, createPool, type Pool } from '../../src/db/pool.js';
import { createLogger } from '../../src/log.js';
import { formatDatabaseUrl, type DatabaseTarget } from '../../src/db/target.js';
import { spawnServerProcess, type ServerProcess } from '../lib/serverProcess.js';

export const TENANT = 'bench';

/** What every measurement is given: the MariaDB server, a connection to create databases, a log. */
export interface Bench {
  admin: mysql.Connection;
  server: DatabaseTarget;
  log: (line: string) => void;
}

export interface Subject {
  target: DatabaseTarget;
  pool: Pool;
  process: ServerProcess;
  token: string;
  /** A save; `headers` adds to the key and content type (an Idempotency-Key, as the clients send). */
  put(sid: string, body: string, headers?: Record<string, string>): Promise<Response>;
  get(path: string): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Runs a benchmark on the service's MariaDB (DATABASE_URL, or the managed one, started for it and
 * stopped after): a connection to create its databases, and a log timed from the start.
 */
export async function withBench<T>(work: (bench: Bench) => Promise<T>): Promise<T> {
  const started = performance.now();
  const log = (line: string): void => void process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
  const { target, local } = await openDatabase(loadConfig().database, createLogger('warn'));
  try {
    const admin = await mysql.createConnection({ ...connectionOptions(target), database: undefined });
    try {
      return await work({ admin, server: target, log });
    } finally {
      await admin.end();
    }
  } finally {
    await local?.stop();
  }
}

async function freshDatabase(bench: Bench, name: string): Promise<DatabaseTarget> {
  await bench.admin.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(name)}`);
  await bench.admin.query(`CREATE DATABASE ${mysql.escapeId(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const target = { ...bench.server, database: name };
  await migrate(target);
  return target;
}

/** The server in its own process on a fresh database `name`, with a write key of TENANT; close() drops it all. */
/** `command`: how to run the server (default: dist/src/main.js with node; the profile adds --cpu-prof). */
export async function startSubject(bench: Bench, name: string, env: Record<string, string> = {}, command?: string[]): Promise<Subject> {
  const target = await freshDatabase(bench, name);
  const pool = createPool(target, 20);
  const { token } = await createKey(pool, { tenant: TENANT, role: 'write' });
  const serverProcess = await spawnServerProcess({ DATABASE_URL: formatDatabaseUrl(target), LOG_LEVEL: 'info', DB_POOL_SIZE: '20', ...env }, command);
  const auth = { authorization: `Bearer ${token}` };
  return {
    target,
    pool,
    process: serverProcess,
    token,
    put: (sid, body, headers = {}) =>
      fetch(`${serverProcess.baseUrl}/v1/sessions/${sid}/state`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json', ...headers }, body }),
    get: (path) => fetch(`${serverProcess.baseUrl}${path}`, { headers: auth }),
    async close() {
      await serverProcess.stop();
      await pool.end();
      await bench.admin.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(target.database)}`);
    },
  };
}

export async function expectOk(response: Response, what: string): Promise<string> {
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${what}: HTTP ${response.status}: ${text.slice(0, 300)}`);
  return text;
}

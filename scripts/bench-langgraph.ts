/**
 * The LangGraph checkpointers' benchmark (issue 17): the same 300-turn chat through
 * SessionStoreSaver (this store, over HTTP) and langgraph-checkpoint-mysql's PyMySQLSaver, on the
 * same MariaDB in one run: bytes stored, time per turn, and the time to load the latest checkpoint
 * and the one after turn 10.
 *
 *   npm run bench:langgraph [-- --quick] [--turns N] [--out <folder>]
 *
 * Writes <out>/results.json and <out>/REPORT.md (default out: bench/langgraph/). The chat itself
 * is clients/python/bench/langgraph_chat.py, run in the project's `langgraph` Python environment
 * (clients/python/requirements/langgraph.txt, built on first use). The store runs as `npm start`
 * would, in a process of its own, on a database of its own; the MySQL saver gets another database
 * (and a user of its own) on the same server. --quick runs 5 turns (the test suite runs it so
 * that the benchmark cannot rot).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { createKey } from '../src/access/keys.js';
import { childEnvironment, loadConfig } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import { openDatabase } from '../src/db/openDatabase.js';
import { connectionOptions, createPool } from '../src/db/pool.js';
import { formatDatabaseUrl, type DatabaseTarget } from '../src/db/target.js';
import { createLogger } from '../src/log.js';
import { projectRoot } from '../src/paths.js';
import { pythonEnv } from '../test/helpers/pythonEnv.js';
import { round, writeRun } from './bench/measure.js';
import { runMain } from './lib/cli.js';
import { spawnServerProcess, type ServerProcess } from './lib/serverProcess.js';

const STORE_DATABASE = 'bench_langgraph_store';
const MYSQL_DATABASE = 'bench_langgraph_mysql';
const MYSQL_USER = 'bench_langgraph';
const TENANT = 'bench-langgraph';

interface Timing {
  p50_ms: number;
  p90_ms: number;
  max_ms: number;
}

/** What clients/python/bench/langgraph_chat.py prints. */
interface ChatRun {
  turns: number;
  checkpoints: number;
  messages: number;
  message_chars: number;
  turn: Timing & { last_tenth_p50_ms: number; total_s: number };
  latest_load: Timing;
  turn10_load: Timing;
}

interface Storage {
  /** InnoDB's data and index bytes of every table of the database (after ANALYZE TABLE): what the disk holds. */
  innodb_bytes: number;
  /** The bytes of every value of every row (LENGTH of each column): what the rows hold, without InnoDB's pages. */
  row_bytes: number;
  tables: Record<string, { rows: number; innodb_bytes: number; row_bytes: number }>;
}

async function storage(admin: mysql.Connection, database: string): Promise<Storage> {
  const [tables] = (await admin.query('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [database])) as unknown as [Array<{ name: string }>];
  const result: Storage = { innodb_bytes: 0, row_bytes: 0, tables: {} };
  for (const { name } of tables) {
    const table = `\`${database}\`.\`${name}\``;
    await admin.query(`ANALYZE TABLE ${table}`);
    const [[sizes]] = (await admin.query('SELECT DATA_LENGTH + INDEX_LENGTH AS bytes FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [database, name])) as unknown as [[{ bytes: number }]];
    const [columns] = (await admin.query('SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [database, name])) as unknown as [Array<{ name: string }>];
    const sum = columns.map((column) => `COALESCE(LENGTH(\`${column.name}\`), 0)`).join(' + ');
    const [[rows]] = (await admin.query(`SELECT COUNT(*) AS n, COALESCE(SUM(${sum}), 0) AS bytes FROM ${table}`)) as unknown as [[{ n: number; bytes: string | number }]];
    const entry = { rows: Number(rows!.n), innodb_bytes: Number(sizes!.bytes), row_bytes: Number(rows!.bytes) };
    result.tables[name] = entry;
    result.innodb_bytes += entry.innodb_bytes;
    result.row_bytes += entry.row_bytes;
  }
  return result;
}

function runChat(python: string, args: string[]): Promise<{ store: ChatRun; mysql: ChatRun }> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [join(projectRoot, 'clients/python/bench/langgraph_chat.py'), ...args], {
      cwd: join(projectRoot, 'clients/python'),
      env: childEnvironment({ PYTHONDONTWRITEBYTECODE: '1' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-8000)));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`langgraph_chat.py failed (${code}):\n${err}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1)!) as { store: ChatRun; mysql: ChatRun });
    });
  });
}

/** The MySQL saver's connection string: the same server as the store, its own database and user. */
function mysqlConnString(server: DatabaseTarget, password: string): string {
  const auth = `${MYSQL_USER}:${password}`;
  if (server.socketPath) return `mysql://${auth}@localhost/${MYSQL_DATABASE}?unix_socket=${encodeURIComponent(server.socketPath)}`;
  return `mysql://${auth}@${server.host ?? 'localhost'}:${server.port ?? 3306}/${MYSQL_DATABASE}`;
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : round(a / b, 2);
}

function markdown(results: Record<string, any>): string {
  const store = results.store as ChatRun & { storage: Storage };
  const mysqlRun = results.mysql as ChatRun & { storage: Storage };
  const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;
  const row = (name: string, a: string, b: string, c: string): string => `| ${name} | ${a} | ${b} | ${c} |`;
  return [
    '# LangGraph checkpointers: SessionStoreSaver against PyMySQLSaver',
    '',
    `Command: \`${results.command}\`. ${results.turns} turns of a chat on one thread (a user and an assistant message of ~200 characters each turn, ` +
      `kept in a \`messages\` list with add_messages: ${store.checkpoints} checkpoints, ${store.message_chars} characters of messages), ` +
      `through each saver on the same MariaDB (${results.mariadb}), the two taking turns (each turn, and each load, ` +
      `one saver then the other, the order alternating) so that the machine's other work weighs on both alike; ${results.machine}.`,
    '',
    row('', 'SessionStoreSaver (this store)', 'PyMySQLSaver', 'store / MySQL'),
    '| --- | --- | --- | --- |',
    row('bytes on disk (InnoDB data + index)', mb(store.storage.innodb_bytes), mb(mysqlRun.storage.innodb_bytes), `1 / ${ratio(mysqlRun.storage.innodb_bytes, store.storage.innodb_bytes)}`),
    row('bytes in the rows', mb(store.storage.row_bytes), mb(mysqlRun.storage.row_bytes), `1 / ${ratio(mysqlRun.storage.row_bytes, store.storage.row_bytes)}`),
    row('time per turn, p50', `${store.turn.p50_ms} ms`, `${mysqlRun.turn.p50_ms} ms`, `${ratio(store.turn.p50_ms, mysqlRun.turn.p50_ms)}`),
    row('time per turn, p50 of the last tenth', `${store.turn.last_tenth_p50_ms} ms`, `${mysqlRun.turn.last_tenth_p50_ms} ms`, `${ratio(store.turn.last_tenth_p50_ms, mysqlRun.turn.last_tenth_p50_ms)}`),
    row('time per turn, p90', `${store.turn.p90_ms} ms`, `${mysqlRun.turn.p90_ms} ms`, `${ratio(store.turn.p90_ms, mysqlRun.turn.p90_ms)}`),
    row('latest checkpoint load, p50', `${store.latest_load.p50_ms} ms`, `${mysqlRun.latest_load.p50_ms} ms`, `${ratio(store.latest_load.p50_ms, mysqlRun.latest_load.p50_ms)}`),
    row('turn-10 checkpoint load, p50', `${store.turn10_load.p50_ms} ms`, `${mysqlRun.turn10_load.p50_ms} ms`, `${ratio(store.turn10_load.p50_ms, mysqlRun.turn10_load.p50_ms)}`),
    '',
    'Per table (rows, bytes on disk, bytes in the rows):',
    '',
    ...(['store', 'mysql'] as const).flatMap((name) =>
      Object.entries((results[name] as { storage: Storage }).storage.tables).map(
        ([table, t]) => `- ${name === 'store' ? 'store' : 'MySQL saver'} \`${table}\`: ${t.rows} rows, ${mb(t.innodb_bytes)}, ${mb(t.row_bytes)}`,
      ),
    ),
    '',
    'The store keeps every write\'s first answer for Idempotency-Key retries (`idempotency_keys`, ' +
      'deleted after IDEMPOTENCY_TTL_SECONDS, 24 h): counted above, as it is on disk during the run.',
    '',
  ].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      turns: { type: 'string' },
      out: { type: 'string', default: join(projectRoot, 'bench', 'langgraph') },
    },
  });
  const turns = values.turns ? Number(values.turns) : values.quick ? 5 : 300;
  if (!Number.isInteger(turns) || turns < 1) throw new Error('--turns: a whole number of turns, at least 1');
  const loads = values.quick ? 3 : 30;
  const started = performance.now();
  const log = (line: string): void => void process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${line}\n`);

  log('preparing the langgraph Python environment');
  const python = await pythonEnv('langgraph');
  const config = loadConfig();
  const { target: server, local } = await openDatabase(config.database, createLogger('warn'));
  const admin = await mysql.createConnection({ ...connectionOptions(server), database: undefined });
  let store: ServerProcess | undefined;
  const password = randomBytes(18).toString('hex');
  const cleanUp = async (): Promise<void> => {
    await store?.stop();
    for (const statement of [
      `DROP DATABASE IF EXISTS ${STORE_DATABASE}`,
      `DROP DATABASE IF EXISTS ${MYSQL_DATABASE}`,
      `DROP USER IF EXISTS '${MYSQL_USER}'@'localhost'`,
      `DROP USER IF EXISTS '${MYSQL_USER}'@'%'`,
    ]) {
      await admin.query(statement).catch(() => undefined);
    }
    await admin.end().catch(() => undefined);
    await local?.stop();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanUp().finally(() => process.exit(1)));
  }
  try {
    const [[info]] = (await admin.query('SELECT VERSION() AS v')) as unknown as [[{ v: string }]];
    for (const database of [STORE_DATABASE, MYSQL_DATABASE]) {
      await admin.query(`DROP DATABASE IF EXISTS ${database}`);
      await admin.query(`CREATE DATABASE ${database} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    }
    for (const host of ['localhost', '%']) {
      await admin.query(`DROP USER IF EXISTS '${MYSQL_USER}'@'${host}'`);
      await admin.query(`CREATE USER '${MYSQL_USER}'@'${host}' IDENTIFIED BY '${password}'`);
      await admin.query(`GRANT ALL PRIVILEGES ON ${MYSQL_DATABASE}.* TO '${MYSQL_USER}'@'${host}'`);
    }
    const target = { ...server, database: STORE_DATABASE };
    await migrate(target);
    const pool = createPool(target, 2);
    const { token } = await createKey(pool, { tenant: TENANT, role: 'write' });
    await pool.end();
    store = await spawnServerProcess({ DATABASE_URL: formatDatabaseUrl(target), LOG_LEVEL: 'info' });

    log(`${turns} turns through SessionStoreSaver and PyMySQLSaver, taking turns`);
    const runs = await runChat(python, ['--base-url', store.baseUrl, '--token', token, '--conn', mysqlConnString(server, password), '--turns', String(turns), '--loads', String(loads)]);
    const storeRun = runs.store;
    const mysqlRun = runs.mysql;
    log('measuring what each stored');
    const results = {
      command: `npm run bench:langgraph${values.quick ? ' -- --quick' : values.turns ? ` -- --turns ${turns}` : ''}`,
      turns,
      mariadb: info!.v,
      machine: `${(await import('node:os')).cpus().length} cores`,
      store: { ...storeRun, storage: await storage(admin, STORE_DATABASE) },
      mysql: { ...mysqlRun, storage: await storage(admin, MYSQL_DATABASE) },
    };
    const summary = {
      bytes_ratio_mysql_to_store: ratio(results.mysql.storage.innodb_bytes, results.store.storage.innodb_bytes),
      row_bytes_ratio_mysql_to_store: ratio(results.mysql.storage.row_bytes, results.store.storage.row_bytes),
      latest_load_ratio_store_to_mysql: ratio(results.store.latest_load.p50_ms, results.mysql.latest_load.p50_ms),
      turn_time_ratio_store_to_mysql: ratio(results.store.turn.p50_ms, results.mysql.turn.p50_ms),
    };
    writeRun(values.out!, { ...results, summary }, markdown(results));
    return 0;
  } finally {
    await cleanUp();
  }
}

runMain('bench-langgraph', main);

/**
 * The benchmark: storage, save throughput, load latency, history pages and diff, each against a
 * baseline measured in the same run on the same MariaDB, so that the ratios hold on a noisy
 * shared machine even where absolute times drift.
 *
 *   npm run bench [-- --quick] [--out <folder>]
 *
 * Writes <out>/results.json and <out>/REPORT.md (default out: bench/). --quick runs every part
 * at tiny sizes (the test suite runs it so the benchmark cannot rot).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import fastJsonPatch from 'fast-json-patch';
import mysql from 'mysql2/promise';
import { createKey } from '../src/access/keys.js';
import { loadConfig } from '../src/config.js';
import { diff } from '../src/core/diff.js';
import type { Json } from '../src/core/json.js';
import { migrate } from '../src/db/migrate.js';
import { openDatabase } from '../src/db/openDatabase.js';
import { connectionOptions, createPool, selectRows, type Pool } from '../src/db/pool.js';
import { formatDatabaseUrl, type DatabaseTarget } from '../src/db/target.js';
import { createApp } from '../src/http/app.js';
import { createLogger, silentLogger } from '../src/log.js';
import { projectRoot } from '../src/paths.js';
import { importStates } from '../src/sessions/importStates.js';
import { loadState } from '../src/sessions/load.js';
import { runMain } from './lib/cli.js';
import { readWorkload, sharedWorkloadFiles, SHARED_WORKLOADS_DIR, syntheticWorkloads, type Workload } from './lib/workloads.js';
import { spawnServerProcess, type ServerProcess } from './lib/serverProcess.js';

const TENANT = 'bench';

interface Sizes {
  workloadStates: number | undefined;
  saveSeconds: number;
  rawSeconds: number;
  histories: number[];
  loadSamples: number;
  historyVersions: number;
  historySamples: number;
  largeStateBytes: number;
  /** Elements of the array one tenant saves twice and diffs while another tenant is timed. */
  pauseArrayElements: number;
}

const FULL: Sizes = {
  workloadStates: undefined,
  saveSeconds: 6,
  rawSeconds: 4,
  histories: [100, 10_000, 100_000],
  loadSamples: 400,
  historyVersions: 300,
  historySamples: 200,
  largeStateBytes: 500_000,
  pauseArrayElements: 2_000_000,
};

const QUICK: Sizes = {
  workloadStates: 25,
  saveSeconds: 0.6,
  rawSeconds: 0.4,
  histories: [100, 1_000, 3_000],
  loadSamples: 40,
  historyVersions: 110,
  historySamples: 20,
  largeStateBytes: 100_000,
  pauseArrayElements: 200_000,
};

// ---------------------------------------------------------------------------------------------
// Measuring

interface Latency {
  p50_ms: number;
  p99_ms: number;
  mean_ms: number;
  samples: number;
}

function latency(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const mean = sorted.reduce((sum, x) => sum + x, 0) / sorted.length;
  return { p50_ms: round(at(0.5)), p99_ms: round(at(0.99)), mean_ms: round(mean), samples: sorted.length };
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * Times several operations in turns rather than one block after another, so that a subject and
 * its baseline live through the same moments of a noisy machine. The order is shuffled on every
 * turn: in a fixed order, an operation that always follows a database query finds the server's
 * thread still awake, and one that always follows an HTTP call finds it asleep.
 */
async function interleaved<K extends string>(count: number, ops: Record<K, () => Promise<void>>): Promise<Record<K, number[]>> {
  const names = Object.keys(ops) as K[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < count; i++) {
    const order = [...names];
    for (let j = order.length - 1; j > 0; j--) {
      const k = Math.floor(Math.random() * (j + 1));
      [order[j], order[k]] = [order[k]!, order[j]!];
    }
    for (const name of order) {
      const start = performance.now();
      await ops[name]();
      samples[name].push(performance.now() - start);
    }
  }
  return samples;
}

/** `clients` loops running `op` until `seconds` pass; returns per-op latencies and the op rate. */
async function closedLoop(clients: number, seconds: number, op: (client: number, i: number) => Promise<void>): Promise<{ rate: number; latency: Latency }> {
  const samples: number[] = [];
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t = performance.now();
        await op(client, i);
        samples.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  return { rate: round(samples.length / elapsed, 1), latency: latency(samples) };
}

// ---------------------------------------------------------------------------------------------
// The service under test: a fresh database, a write key, the real server in its own process

interface Bench {
  admin: mysql.Connection;
  server: DatabaseTarget;
  log: (line: string) => void;
}

interface Subject {
  target: DatabaseTarget;
  pool: Pool;
  process: ServerProcess;
  token: string;
  put(sid: string, body: string): Promise<Response>;
  get(path: string): Promise<Response>;
  close(): Promise<void>;
}

async function freshDatabase(bench: Bench, name: string): Promise<DatabaseTarget> {
  await bench.admin.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(name)}`);
  await bench.admin.query(`CREATE DATABASE ${mysql.escapeId(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const target = { ...bench.server, database: name };
  await migrate(target);
  return target;
}

async function startSubject(bench: Bench, name: string, env: Record<string, string> = {}): Promise<Subject> {
  const target = await freshDatabase(bench, name);
  const pool = createPool(target, 20);
  const { token } = await createKey(pool, { tenant: TENANT, role: 'write' });
  const serverProcess = await spawnServerProcess({ DATABASE_URL: formatDatabaseUrl(target), LOG_LEVEL: 'info', DB_POOL_SIZE: '20', ...env });
  const auth = { authorization: `Bearer ${token}` };
  return {
    target,
    pool,
    process: serverProcess,
    token,
    put: (sid, body) =>
      fetch(`${serverProcess.baseUrl}/v1/sessions/${sid}/state`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body }),
    get: (path) => fetch(`${serverProcess.baseUrl}${path}`, { headers: auth }),
    async close() {
      await serverProcess.stop();
      await pool.end();
      await bench.admin.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(target.database)}`);
    },
  };
}

async function expectOk(response: Response, what: string): Promise<string> {
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${what}: HTTP ${response.status}: ${text.slice(0, 300)}`);
  return text;
}

async function tableBytes(pool: Pool, tables: string[]): Promise<number> {
  for (const table of tables) await pool.query(`ANALYZE TABLE ${mysql.escapeId(table)}`);
  const [rows] = await pool.query(
    `SELECT COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) AS bytes FROM information_schema.TABLES
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?)`,
    [tables],
  );
  return Number((rows as Array<{ bytes: number }>)[0]!.bytes);
}

// ---------------------------------------------------------------------------------------------
// 1. Storage

const OUR_TABLES = ['sessions', 'events', 'checkpoints', 'idempotency_keys'];

async function storage(bench: Bench, workloads: Workload[]) {
  const results = [];
  for (const workload of workloads) {
    bench.log(`storage: ${workload.name} (${workload.lines.length} states)`);
    const subject = await startSubject(bench, `bench_storage_${workload.name.replace(/\W/g, '_')}`);
    try {
      for (const line of workload.lines) await expectOk(await subject.put(workload.name, line), `save ${workload.name}`);
      const pool = subject.pool;
      await pool.query('CREATE TABLE bl_overwrite (session_id VARCHAR(128) PRIMARY KEY, state LONGTEXT NOT NULL) ENGINE=InnoDB');
      await pool.query('CREATE TABLE bl_copies (session_id VARCHAR(128), version INT UNSIGNED, state LONGTEXT NOT NULL, PRIMARY KEY (session_id, version)) ENGINE=InnoDB');
      await pool.query('CREATE TABLE bl_versioned (session_id VARCHAR(128) PRIMARY KEY, state LONGTEXT NOT NULL) ENGINE=InnoDB WITH SYSTEM VERSIONING');
      let version = 0;
      for (const line of workload.lines) {
        version++;
        await pool.query('INSERT INTO bl_overwrite (session_id, state) VALUES (?, ?) ON DUPLICATE KEY UPDATE state = VALUES(state)', [workload.name, line]);
        await pool.query('INSERT INTO bl_copies (session_id, version, state) VALUES (?, ?, ?)', [workload.name, version, line]);
        await pool.query('INSERT INTO bl_versioned (session_id, state) VALUES (?, ?) ON DUPLICATE KEY UPDATE state = VALUES(state)', [workload.name, line]);
      }
      const ours = await tableBytes(pool, OUR_TABLES);
      const overwrite = await tableBytes(pool, ['bl_overwrite']);
      const copies = await tableBytes(pool, ['bl_copies']);
      const versioned = await tableBytes(pool, ['bl_versioned']);
      const [logical] = await selectRows<{ events: number; checkpoints: number }>(
        pool,
        `SELECT (SELECT COALESCE(SUM(LENGTH(patch)), 0) FROM events) AS events, (SELECT COALESCE(SUM(LENGTH(body)), 0) FROM checkpoints) AS checkpoints`,
        [],
      );
      const fullStates = workload.lines.reduce((sum, line) => sum + Buffer.byteLength(line), 0);
      results.push({
        workload: workload.name,
        saves: workload.lines.length,
        full_states_bytes: fullStates,
        stored_events_bytes: Number(logical!.events),
        stored_checkpoints_bytes: Number(logical!.checkpoints),
        on_disk_bytes: ours,
        baseline_overwrite_bytes: overwrite,
        baseline_copies_bytes: copies,
        baseline_system_versioned_bytes: versioned,
        ratio_copies_to_ours: round(copies / ours, 1),
        ratio_system_versioned_to_ours: round(versioned / ours, 1),
        ratio_ours_to_overwrite: round(ours / overwrite, 2),
      });
    } finally {
      await subject.close();
    }
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// 2. Save throughput and latency

function smallStates(seed: number): (i: number) => string {
  const items = Array.from({ length: 20 }, (_, k) => ({ id: `item-${k}`, label: `label ${k} of client ${seed}`, qty: k, done: false }));
  return (i) => {
    const k = i % items.length;
    items[k] = { ...items[k]!, qty: i, done: i % 2 === 0 };
    return JSON.stringify({ client: seed, counter: i, user: { id: `u${seed}`, name: 'Ana', locale: 'pt-BR' }, items });
  };
}

async function saves(bench: Bench, chat: Workload, sizes: Sizes) {
  const subject = await startSubject(bench, 'bench_saves');
  const raw = createPool(subject.target, 20);
  try {
    await raw.query('CREATE TABLE bl_raw (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, session_id VARCHAR(128) NOT NULL, body LONGBLOB NOT NULL) ENGINE=InnoDB');
    const kinds: Array<{ name: string; state: (client: number) => (i: number) => string }> = [
      { name: 'small (~2 KB)', state: (client) => smallStates(client) },
      { name: 'chat (chat-300 states)', state: () => (i) => chat.lines[i % chat.lines.length]! },
    ];
    const results = [];
    for (const kind of kinds) {
      for (const clients of [1, 16]) {
        bench.log(`saves: ${kind.name}, ${clients} client(s)`);
        const generators = Array.from({ length: clients }, (_, c) => kind.state(c));
        const sessionBase = `saves-${results.length}`;
        const ours = await closedLoop(clients, sizes.saveSeconds, async (client, i) => {
          await expectOk(await subject.put(`${sessionBase}-${client}`, generators[client]!(i)), 'save');
        });
        const rawGenerators = Array.from({ length: clients }, (_, c) => kind.state(c));
        const baseline = await closedLoop(clients, sizes.rawSeconds, async (client, i) => {
          await raw.execute('INSERT INTO bl_raw (session_id, body) VALUES (?, ?)', [`${sessionBase}-${client}`, rawGenerators[client]!(i)]);
        });
        results.push({
          state: kind.name,
          clients,
          saves_per_second: ours.rate,
          latency: ours.latency,
          baseline_raw_insert_per_second: baseline.rate,
          baseline_latency: baseline.latency,
          ratio_to_raw_insert: round(ours.rate / baseline.rate, 2),
        });
      }
    }
    return results;
  } finally {
    await raw.end();
    await subject.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Load latency vs history length

function* evolvingStates(count: number): Generator<Json> {
  const log: Json[] = [];
  for (let i = 0; i < count; i++) {
    log.push({ turn: i, role: i % 2 ? 'assistant' : 'user', text: `message number ${i} with some words in it` });
    if (log.length > 12) log.shift();
    yield { counter: i, user: { id: 'u1', name: 'Ana' }, settings: { theme: i % 3 ? 'dark' : 'light', page: i % 7 }, recent: [...log] };
  }
}

async function loads(bench: Bench, sizes: Sizes) {
  const subject = await startSubject(bench, 'bench_loads');
  try {
    const app = createApp({ pool: subject.pool, config: { ...loadConfig(), stateCacheBytes: 0 }, logger: silentLogger });
    // The load use case in this process, as the server runs it (with its head-state cache).
    const inProcess = createApp({ pool: subject.pool, config: loadConfig(), logger: silentLogger });
    const results = [];
    const stored = JSON.stringify([...evolvingStates(1)][0]);
    await subject.pool.query('CREATE TABLE bl_whole (id VARCHAR(128) PRIMARY KEY, state LONGTEXT NOT NULL) ENGINE=InnoDB');
    for (const length of sizes.histories) {
      const sid = `history-${length}`;
      bench.log(`loads: building a history of ${length} versions`);
      const head = await importStates(app.store, TENANT, sid, evolvingStates(length), 2000);
      if (head !== length) throw new Error(`expected ${length} versions, built ${head}`);
      const lastState = JSON.stringify([...evolvingStates(length)].at(-1));
      await subject.pool.query('REPLACE INTO bl_whole (id, state) VALUES (?, ?)', [sid, lastState]);
      const [range] = await selectRows<{ first: string; last: string }>(
        subject.pool,
        'SELECT MIN(created_at) AS first, MAX(created_at) AS last FROM events WHERE tenant = ? AND session_id = ?',
        [TENANT, sid],
      );
      // Milliseconds, rounded up: the first save is at t0 plus some microseconds.
      const t0 = Date.parse(range!.first.replace(' ', 'T') + 'Z') + 1;
      const t1 = Date.parse(range!.last.replace(' ', 'T') + 'Z') + 1;

      bench.log(`loads: measuring history ${length}`);
      await expectOk(await subject.get(`/v1/sessions/${sid}/state`), 'warm');
      await loadState(inProcess.store, TENANT, sid, { latest: true });
      const measured = await interleaved(sizes.loadSamples, {
        latest: async () => {
          await expectOk(await subject.get(`/v1/sessions/${sid}/state`), 'load latest');
        },
        randomVersion: async () => {
          const v = 1 + Math.floor(Math.random() * length);
          await expectOk(await subject.get(`/v1/sessions/${sid}/state?version=${v}`), 'load version');
        },
        randomInstant: async () => {
          const at = new Date(t0 + Math.random() * (t1 - t0 + 1)).toISOString();
          await expectOk(await subject.get(`/v1/sessions/${sid}/state?at=${encodeURIComponent(at)}`), 'load at');
        },
        httpFloor: async () => {
          await expectOk(await subject.get('/healthz'), 'healthz');
        },
        useCaseLatest: async () => {
          JSON.stringify((await loadState(inProcess.store, TENANT, sid, { latest: true })).state);
        },
        useCaseVersion: async () => {
          JSON.stringify((await loadState(inProcess.store, TENANT, sid, { version: 1 + Math.floor(Math.random() * length) })).state);
        },
        baseline: async () => {
          await subject.pool.execute('SELECT state FROM bl_whole WHERE id = ?', [sid]);
        },
      });
      const { latest, randomVersion, randomInstant, httpFloor, useCaseLatest, useCaseVersion, baseline } = measured;
      results.push({
        history_versions: length,
        state_bytes: Buffer.byteLength(lastState),
        latest: latency(latest),
        random_version: latency(randomVersion),
        random_instant: latency(randomInstant),
        http_floor_healthz: latency(httpFloor),
        use_case_latest: latency(useCaseLatest),
        use_case_random_version: latency(useCaseVersion),
        baseline_pk_select: latency(baseline),
        ratio_latest_p50_to_pk_select: round(latency(latest).p50_ms / latency(baseline).p50_ms, 2),
        ratio_use_case_latest_p50_to_pk_select: round(latency(useCaseLatest).p50_ms / latency(baseline).p50_ms, 2),
      });
    }
    const shortest = results[0]!;
    const longest = results.at(-1)!;
    return {
      by_history: results,
      ratio_random_version_p50_longest_to_shortest: round(longest.random_version.p50_ms / shortest.random_version.p50_ms, 2),
      ratio_use_case_random_version_p50_longest_to_shortest: round(longest.use_case_random_version.p50_ms / shortest.use_case_random_version.p50_ms, 2),
      ratio_random_instant_p50_longest_to_shortest: round(longest.random_instant.p50_ms / shortest.random_instant.p50_ms, 2),
      ratio_latest_p50_longest_to_shortest: round(longest.latest.p50_ms / shortest.latest.p50_ms, 2),
    };
  } finally {
    await subject.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 4. History pages

async function historyPages(bench: Bench, sizes: Sizes) {
  const subject = await startSubject(bench, 'bench_history');
  try {
    const app = createApp({ pool: subject.pool, config: loadConfig(), logger: silentLogger });
    const results: Array<{ state: string; state_bytes: number; page_of_100: Latency }> = [];
    for (const [label, bytes] of [['small', 2_000], ['large', sizes.largeStateBytes]] as const) {
      const sid = `history-${label}`;
      const filler = 'x'.repeat(bytes);
      bench.log(`history pages: ${label} states (${bytes} B)`);
      await importStates(app.store, TENANT, sid, (function* () {
        for (let i = 0; i < sizes.historyVersions; i++) yield { i, filler, changed: `v${i}` };
      })(), 100);
      await expectOk(await subject.get(`/v1/sessions/${sid}/history?limit=100`), 'warm');
    }
    const pages = await interleaved(sizes.historySamples, {
      small: async () => {
        await expectOk(await subject.get('/v1/sessions/history-small/history?limit=100'), 'history page');
      },
      large: async () => {
        await expectOk(await subject.get('/v1/sessions/history-large/history?limit=100'), 'history page');
      },
    });
    results.push({ state: 'small', state_bytes: 2_000, page_of_100: latency(pages.small) });
    results.push({ state: 'large', state_bytes: sizes.largeStateBytes, page_of_100: latency(pages.large) });
    return { by_state_size: results, ratio_p50_large_to_small: round(results[1]!.page_of_100.p50_ms / results[0]!.page_of_100.p50_ms, 2) };
  } finally {
    await subject.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 5. Diff

function diffs(workloads: Workload[]) {
  return workloads.map((workload) => {
    const states = workload.lines.map((line) => JSON.parse(line) as Json);
    let oursMs = 0;
    let compareMs = 0;
    let oursBytes = 0;
    let compareBytes = 0;
    for (let i = 1; i < states.length; i++) {
      let t = performance.now();
      const ours = diff(states[i - 1]!, states[i]!);
      oursMs += performance.now() - t;
      t = performance.now();
      const theirs = fastJsonPatch.compare(states[i - 1] as object, states[i] as object);
      compareMs += performance.now() - t;
      oursBytes += JSON.stringify(ours).length;
      compareBytes += JSON.stringify(theirs).length;
    }
    return {
      workload: workload.name,
      pairs: states.length - 1,
      ours_ms: round(oursMs, 1),
      compare_ms: round(compareMs, 1),
      ours_patch_bytes: oursBytes,
      compare_patch_bytes: compareBytes,
      ratio_patch_bytes_compare_to_ours: round(compareBytes / oursBytes, 2),
      ratio_time_ours_to_compare: round(oursMs / compareMs, 2),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// 6. What another tenant waits while one tenant saves and diffs a very large state

/**
 * One tenant PUTs an N-element array, PUTs another, and GETs the diff of the two, while a second
 * tenant sends small GETs one after another and times each. Its longest wait is the longest
 * pause the large state caused. Baselines in the same run: the same bystander on an idle server,
 * and the same scene on a server that does all state work on its event loop (WORKER_THREADS=0).
 */
async function pauses(bench: Bench, sizes: Sizes) {
  const elements = sizes.pauseArrayElements;
  const big = (seed: number): string => `[${Array.from({ length: elements }, (_, i) => (i * seed) % 10).join(',')}]`;
  const scene = async (label: string, env: Record<string, string>) => {
    const subject = await startSubject(bench, `bench_pause_${label}`, env);
    try {
      const { token } = await createKey(subject.pool, { tenant: 'bystander', role: 'write' });
      const bystanderGet = () =>
        fetch(`${subject.process.baseUrl}/v1/sessions/small/state`, { headers: { authorization: `Bearer ${token}` } });
      await expectOk(
        await fetch(`${subject.process.baseUrl}/v1/sessions/small/state`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ n: 1, text: 'a small state' }),
        }),
        'bystander save',
      );
      const timeBystander = async (until: () => boolean, minimum: number): Promise<number[]> => {
        const waits: number[] = [];
        while (!until() || waits.length < minimum) {
          const t = performance.now();
          await expectOk(await bystanderGet(), 'bystander load');
          waits.push(performance.now() - t);
        }
        return waits;
      };
      let count = 0;
      const idle = await timeBystander(() => ++count > 200, 0);
      let done = false;
      const heavy = (async () => {
        const t = performance.now();
        for (const seed of [1, 3]) await expectOk(await subject.put('large', big(seed)), 'large save');
        await expectOk(await subject.get('/v1/sessions/large/diff?from=1&to=2'), 'large diff');
        return performance.now() - t;
      })().finally(() => {
        done = true;
      });
      const during = await timeBystander(() => done, 1);
      const heavyMs = await heavy;
      return { idle: latency(idle), during: latency(during), longest_pause_ms: round(Math.max(...during)), heavy_ms: round(heavyMs, 0) };
    } finally {
      await subject.close();
    }
  };
  bench.log(`pauses: one tenant saves and diffs ${elements}-element arrays, another is timed (worker threads)`);
  const workers = await scene('workers', {});
  bench.log('pauses: the same on the event loop (WORKER_THREADS=0)');
  const inline = await scene('inline', { WORKER_THREADS: '0' });
  return {
    array_elements: elements,
    with_workers: workers,
    baseline_event_loop_only: inline,
    ratio_longest_pause_event_loop_to_workers: round(inline.longest_pause_ms / workers.longest_pause_ms, 1),
  };
}

// ---------------------------------------------------------------------------------------------
// Targets and the report

interface Results {
  meta: Record<string, unknown>;
  storage: Awaited<ReturnType<typeof storage>>;
  saves: Awaited<ReturnType<typeof saves>>;
  loads: Awaited<ReturnType<typeof loads>>;
  history_pages: Awaited<ReturnType<typeof historyPages>>;
  diff: ReturnType<typeof diffs>;
  pauses: Awaited<ReturnType<typeof pauses>>;
  targets: Array<{ target: string; measured: string; holds: boolean }>;
}

function targets(r: Omit<Results, 'targets'>): Results['targets'] {
  const storageTarget = { 'chat-300': 40, 'creds-300': 25, 'table-100': 15 } as Record<string, number>;
  const out: Results['targets'] = [];
  for (const s of r.storage) {
    const want = storageTarget[s.workload];
    if (want !== undefined) {
      out.push({ target: `storage ${s.workload}: >= ${want}x smaller than a system-versioned table`, measured: `${s.ratio_system_versioned_to_ours}x`, holds: s.ratio_system_versioned_to_ours >= want });
    }
  }
  for (const s of r.saves.filter((x) => x.clients === 16)) {
    out.push({ target: `save throughput, 16 clients, ${s.state}: >= 0.5x raw INSERT rate`, measured: `${s.ratio_to_raw_insert}x`, holds: s.ratio_to_raw_insert >= 0.5 });
  }
  for (const l of r.loads.by_history) {
    out.push({ target: `load latest p50 (history ${l.history_versions}), load use case in process: <= 1.5x PK SELECT`, measured: `${l.ratio_use_case_latest_p50_to_pk_select}x`, holds: l.ratio_use_case_latest_p50_to_pk_select <= 1.5 });
    out.push({ target: `load latest p50 (history ${l.history_versions}), end to end over HTTP: <= 1.5x PK SELECT`, measured: `${l.ratio_latest_p50_to_pk_select}x (a bare HTTP round trip alone: ${round(l.http_floor_healthz.p50_ms / l.baseline_pk_select.p50_ms, 2)}x)`, holds: l.ratio_latest_p50_to_pk_select <= 1.5 });
  }
  out.push({ target: 'load random version p50, longest vs shortest history: ratio <= 1.5', measured: `${r.loads.ratio_random_version_p50_longest_to_shortest}`, holds: r.loads.ratio_random_version_p50_longest_to_shortest <= 1.5 });
  out.push({ target: 'history page of 100: independent of state size (ratio <= 1.5)', measured: `${r.history_pages.ratio_p50_large_to_small}`, holds: r.history_pages.ratio_p50_large_to_small <= 1.5 });
  const pause = r.pauses.with_workers.longest_pause_ms;
  out.push({ target: `longest pause another tenant sees while one saves and diffs a ${r.pauses.array_elements}-element state: < 100 ms`, measured: `${pause} ms (event loop only: ${r.pauses.baseline_event_loop_only.longest_pause_ms} ms)`, holds: pause < 100 });
  return out;
}

function markdown(r: Results): string {
  const lines: string[] = [];
  const m = r.meta;
  lines.push(`# Benchmark report`, '');
  lines.push(`${m.date} · ${m.cpus} × ${m.cpu_model} · ${m.memory_gib} GiB · Node ${m.node} · MariaDB ${m.mariadb}${m.quick ? ' · **--quick (tiny sizes, not for quoting)**' : ''}`, '');
  lines.push(`Command: \`${m.command}\` (${m.seconds} s). Every ratio is against a baseline measured in the same run on the same server; load and history-page samples are taken in turns with their baselines, so both see the same moments of a shared machine.`, '');
  lines.push('## Targets', '', '| target | measured | holds |', '| --- | --- | --- |');
  for (const t of r.targets) lines.push(`| ${t.target} | ${t.measured} | ${t.holds ? 'yes' : '**no**'} |`);
  lines.push('', '## 1. Storage (InnoDB data + index bytes after ANALYZE TABLE)', '');
  lines.push('| workload | saves | sum of full states | ours: stored patches + checkpoints | ours on disk | overwrite (no history) | copy per save | system-versioned | copies / ours | system-versioned / ours |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const s of r.storage) {
    lines.push(`| ${s.workload} | ${s.saves} | ${s.full_states_bytes} | ${s.stored_events_bytes + s.stored_checkpoints_bytes} | ${s.on_disk_bytes} | ${s.baseline_overwrite_bytes} | ${s.baseline_copies_bytes} | ${s.baseline_system_versioned_bytes} | ${s.ratio_copies_to_ours}× | ${s.ratio_system_versioned_to_ours}× |`);
  }
  lines.push('', '## 2. Saves (through HTTP, distinct sessions per client) vs raw single-row INSERT of the same bytes (autocommit)', '');
  lines.push('| state | clients | saves/s | p50 ms | p99 ms | raw INSERT/s | raw p50 ms | raw p99 ms | ratio |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const s of r.saves) {
    lines.push(`| ${s.state} | ${s.clients} | ${s.saves_per_second} | ${s.latency.p50_ms} | ${s.latency.p99_ms} | ${s.baseline_raw_insert_per_second} | ${s.baseline_latency.p50_ms} | ${s.baseline_latency.p99_ms} | ${s.ratio_to_raw_insert}× |`);
  }
  lines.push('', '## 3. Loads vs a primary-key SELECT of the same state stored whole', '');
  lines.push('End to end: HTTP GET from another process (API key check, head row, state). Use case: the same load function the route calls, in this process, with the JSON serialisation. `/healthz` is a bare HTTP round trip with no database work: the floor under any HTTP answer.', '');
  lines.push('| history | HTTP latest p50 / p99 ms | HTTP random version p50 / p99 | HTTP random instant p50 / p99 | use case latest p50 / p99 | use case random version p50 / p99 | HTTP /healthz p50 | PK SELECT p50 / p99 | HTTP latest / PK | use case latest / PK |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const l of r.loads.by_history) {
    lines.push(`| ${l.history_versions} | ${l.latest.p50_ms} / ${l.latest.p99_ms} | ${l.random_version.p50_ms} / ${l.random_version.p99_ms} | ${l.random_instant.p50_ms} / ${l.random_instant.p99_ms} | ${l.use_case_latest.p50_ms} / ${l.use_case_latest.p99_ms} | ${l.use_case_random_version.p50_ms} / ${l.use_case_random_version.p99_ms} | ${l.http_floor_healthz.p50_ms} | ${l.baseline_pk_select.p50_ms} / ${l.baseline_pk_select.p99_ms} | ${l.ratio_latest_p50_to_pk_select}× | ${l.ratio_use_case_latest_p50_to_pk_select}× |`);
  }
  lines.push('', `Longest vs shortest history (p50): HTTP random version ${r.loads.ratio_random_version_p50_longest_to_shortest}, use case random version ${r.loads.ratio_use_case_random_version_p50_longest_to_shortest}, HTTP random instant ${r.loads.ratio_random_instant_p50_longest_to_shortest}, HTTP latest ${r.loads.ratio_latest_p50_longest_to_shortest}.`);
  lines.push('', '## 4. History page of 100 entries', '', '| state size | p50 ms | p99 ms |', '| --- | --- | --- |');
  for (const h of r.history_pages.by_state_size) lines.push(`| ${h.state_bytes} B | ${h.page_of_100.p50_ms} | ${h.page_of_100.p99_ms} |`);
  lines.push('', `Large vs small (p50): ${r.history_pages.ratio_p50_large_to_small}.`);
  lines.push('', '## 5. Diff of consecutive workload states vs fast-json-patch compare()', '');
  lines.push('| workload | pairs | ours ms | compare() ms | ours patch bytes | compare() patch bytes | compare / ours bytes |', '| --- | --- | --- | --- | --- | --- | --- |');
  for (const d of r.diff) lines.push(`| ${d.workload} | ${d.pairs} | ${d.ours_ms} | ${d.compare_ms} | ${d.ours_patch_bytes} | ${d.compare_patch_bytes} | ${d.ratio_patch_bytes_compare_to_ours}× |`);
  const p = r.pauses;
  lines.push('', `## 6. Another tenant's waits while one tenant saves two ${p.array_elements}-element arrays and diffs them`, '');
  lines.push('The bystander sends small GETs one after another; its longest wait is the longest pause it saw. The same scene runs on a server doing all state work on its event loop (`WORKER_THREADS=0`), the way every state was handled before the worker threads.', '');
  lines.push('| server | bystander idle p50 / p99 ms | during p50 / p99 ms | longest pause ms | bystander requests during | large saves + diff ms |', '| --- | --- | --- | --- | --- | --- |');
  for (const [label, s] of [['worker threads (default)', p.with_workers], ['event loop only', p.baseline_event_loop_only]] as const) {
    lines.push(`| ${label} | ${s.idle.p50_ms} / ${s.idle.p99_ms} | ${s.during.p50_ms} / ${s.during.p99_ms} | ${s.longest_pause_ms} | ${s.during.samples} | ${s.heavy_ms} |`);
  }
  lines.push('', `Longest pause, event loop only vs worker threads: ${p.ratio_longest_pause_event_loop_to_workers}×.`);
  lines.push('');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string', default: join(projectRoot, 'bench') } } });
  const sizes = values.quick ? QUICK : FULL;
  const started = performance.now();
  const log = (line: string): void => {
    process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
  };

  const files = sharedWorkloadFiles();
  if (files.length === 0) log(`no workloads in ${SHARED_WORKLOADS_DIR}: using synthetic stand-ins (figures are not comparable)`);
  const workloads = (files.length > 0 ? files.map(readWorkload) : syntheticWorkloads(sizes.workloadStates ?? 300)).map((w) => ({
    ...w,
    lines: sizes.workloadStates ? w.lines.slice(0, sizes.workloadStates) : w.lines,
  }));
  const chat = workloads.find((w) => w.name.startsWith('chat')) ?? workloads[0]!;

  const config = loadConfig();
  const { target, local } = await openDatabase(config.database, createLogger('warn'));
  const admin = await mysql.createConnection({ ...connectionOptions(target), database: undefined });
  const bench: Bench = { admin, server: target, log };
  try {
    const [[version]] = (await admin.query('SELECT VERSION() AS v')) as unknown as [[{ v: string }]];
    const storageResults = await storage(bench, workloads);
    const saveResults = await saves(bench, chat, sizes);
    const loadResults = await loads(bench, sizes);
    const historyResults = await historyPages(bench, sizes);
    log('diff');
    const diffResults = diffs(workloads);
    const pauseResults = await pauses(bench, sizes);
    const partial = {
      meta: {
        date: new Date().toISOString().slice(0, 10),
        cpus: cpus().length,
        cpu_model: cpus()[0]?.model.trim() ?? 'unknown',
        memory_gib: Math.round(totalmem() / 2 ** 30),
        node: process.versions.node,
        mariadb: version!.v,
        quick: values.quick,
        workloads: files.length > 0 ? 'shared' : 'synthetic',
        command: values.quick ? 'npm run bench -- --quick' : 'npm run bench',
        seconds: Math.round((performance.now() - started) / 1000),
        sizes,
      },
      storage: storageResults,
      saves: saveResults,
      loads: loadResults,
      history_pages: historyResults,
      diff: diffResults,
      pauses: pauseResults,
    };
    const results: Results = { ...partial, targets: targets(partial) };
    mkdirSync(values.out!, { recursive: true });
    writeFileSync(join(values.out!, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    const report = markdown(results);
    writeFileSync(join(values.out!, 'REPORT.md'), report);
    process.stdout.write(report);
    return 0;
  } finally {
    await admin.end();
    await local?.stop();
  }
}

runMain('bench', main);

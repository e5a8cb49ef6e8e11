/**
 * The change feed's benchmark: how soon a version written through one server process reaches a
 * watcher on another (GET /watch), and what one process watching 1,000 sessions costs the
 * database (queries per second) and itself (CPU), idle and with versions being written.
 *
 *   npm run bench:feed [-- --quick] [--out <folder>]
 *
 * Writes <out>/results.json and <out>/REPORT.md (default out: bench/feed/). Both server processes
 * run as `npm start` would, with the default FEED_* settings except the stream limits, raised for
 * the thousand streams. --quick runs every part at tiny sizes (the test suite runs it so that the
 * benchmark cannot rot).
 */
import { readFileSync } from 'node:fs';
import { Agent, get, type IncomingMessage } from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { createKey } from '../src/access/keys.js';
import { readEventStream } from '../src/client/eventStream.js';
import { loadConfig } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import { openDatabase } from '../src/db/openDatabase.js';
import { connectionOptions, createPool } from '../src/db/pool.js';
import { formatDatabaseUrl } from '../src/db/target.js';
import { createLogger } from '../src/log.js';
import { projectRoot } from '../src/paths.js';
import { latency, round, writeRun, type Latency } from './bench/measure.js';
import { runMain } from './lib/cli.js';
import { spawnServerProcess, type ServerProcess } from './lib/serverProcess.js';

interface Sizes {
  /** Writes timed one at a time, each from its answer to its event on the other process. */
  delaySamples: number;
  /** Sessions the watching process follows, one stream each. */
  watchedSessions: number;
  /** Streams on one single session, for the cost of many watchers of one session. */
  streamsOnOneSession: number;
  /** Length of each cost window. */
  windowSeconds: number;
  /** Versions written per second, spread over the watched sessions, in the busy windows. */
  writesPerSecond: number;
}

const FULL: Sizes = { delaySamples: 300, watchedSessions: 1000, streamsOnOneSession: 1000, windowSeconds: 20, writesPerSecond: 50 };
const QUICK: Sizes = { delaySamples: 20, watchedSessions: 50, streamsOnOneSession: 50, windowSeconds: 2, writesPerSecond: 20 };

const TENANT = 'bench-feed';
const DATABASE = 'bench_feed';

interface Delay extends Latency {
  max_ms: number;
}

function delay(samples: number[]): Delay {
  return { ...latency(samples), max_ms: round(Math.max(...samples)) };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// What a window costs: statements the database ran, CPU of the watching process and of MariaDB

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used, from /proc; undefined when it cannot be read. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

interface Window {
  /** Statements the database server ran per second (all clients; the benchmark's own two status reads removed). */
  queries_per_second: number;
  /** CPU of the watching server process, percent of one core. */
  watcher_cpu_percent: number | null;
  /** CPU of the MariaDB server, percent of one core (null when its process cannot be seen). */
  mariadb_cpu_percent: number | null;
}

async function questions(admin: mysql.Connection): Promise<number> {
  const [rows] = await admin.query("SHOW GLOBAL STATUS LIKE 'Questions'");
  return Number((rows as Array<{ Value: string }>)[0]!.Value);
}

/** Measures `seconds` while `during` runs (if given). */
async function measure(admin: mysql.Connection, watcherPid: number | undefined, mariadbPid: number | undefined, seconds: number, during?: (until: number) => Promise<void>): Promise<Window> {
  const q0 = await questions(admin);
  const w0 = cpuSeconds(watcherPid);
  const m0 = cpuSeconds(mariadbPid);
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  if (during) await during(until);
  else await sleep(seconds * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  const w1 = cpuSeconds(watcherPid);
  const m1 = cpuSeconds(mariadbPid);
  // The SHOW that reads the counter counts itself: one of the two belongs to this window.
  const q1 = (await questions(admin)) - 1;
  const percent = (a: number | undefined, b: number | undefined): number | null => (a === undefined || b === undefined ? null : round(((b - a) / elapsed) * 100, 1));
  return { queries_per_second: round((q1 - q0) / elapsed, 1), watcher_cpu_percent: percent(w0, w1), mariadb_cpu_percent: percent(m0, m1) };
}

// ---------------------------------------------------------------------------------------------
// Streams: many at once, each event handed to whoever waits for that session's version

interface Streams {
  /** Resolves when `sid`'s stream delivers `version`, with the time it arrived. */
  arrival(sid: string, version: number): Promise<number>;
  close(): void;
}

async function openStreams(baseUrl: string, token: string, sids: string[]): Promise<Streams> {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const responses: IncomingMessage[] = [];
  const waiting = new Map<string, (time: number) => void>();
  const arrived = new Map<string, number>();
  const follow = async (sid: string, response: IncomingMessage): Promise<void> => {
    try {
      for await (const block of readEventStream(response)) {
        if (block.event !== 'version' || block.id === undefined) continue;
        const key = `${sid} ${block.id}`;
        const now = performance.now();
        const resolve = waiting.get(key);
        if (resolve) {
          waiting.delete(key);
          resolve(now);
        } else arrived.set(key, now);
      }
    } catch {
      // closed by the benchmark
    }
  };
  // Opened a few hundred at a time: a thousand connects at once would measure the accept queue.
  for (let i = 0; i < sids.length; i += 200) {
    await Promise.all(
      sids.slice(i, i + 200).map(
        (sid) =>
          new Promise<void>((resolve, reject) => {
            const request = get(`${baseUrl}/v1/sessions/${encodeURIComponent(sid)}/watch`, { agent, headers: { authorization: `Bearer ${token}` } }, (response) => {
              if (response.statusCode !== 200) {
                reject(new Error(`watch ${sid}: HTTP ${response.statusCode}`));
                return;
              }
              responses.push(response);
              void follow(sid, response);
              resolve();
            });
            request.on('error', reject);
          }),
      ),
    );
  }
  return {
    arrival(sid, version) {
      const key = `${sid} ${version}`;
      const already = arrived.get(key);
      if (already !== undefined) {
        arrived.delete(key);
        return Promise.resolve(already);
      }
      return new Promise((resolve) => waiting.set(key, resolve));
    },
    close() {
      for (const response of responses) response.destroy();
      agent.destroy();
    },
  };
}

// ---------------------------------------------------------------------------------------------

interface Results {
  meta: Record<string, unknown>;
  delay_two_processes: { idle_watcher: Delay; watcher_of_many: Delay };
  cost: {
    watched_sessions: number;
    no_streams_idle: Window;
    watching_idle: Window;
    streams_on_one_session: number;
    one_session_idle: Window;
    writes_per_second: number;
    writing_without_streams: Window;
    writing_while_watching: Window;
    feed_queries_per_second_idle: number;
    feed_queries_per_second_writing: number;
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string', default: join(projectRoot, 'bench', 'feed') } } });
  const sizes = values.quick ? QUICK : FULL;
  const started = performance.now();
  const log = (line: string): void => void process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${line}\n`);

  const config = loadConfig();
  const { target: server, local } = await openDatabase(config.database, createLogger('warn'));
  const admin = await mysql.createConnection({ ...connectionOptions(server), database: undefined });
  const processes: ServerProcess[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanUp = (): Promise<void> =>
    (cleaning ??= (async () => {
      await Promise.all(processes.map((p) => p.stop()));
      await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}`).catch(() => undefined);
      await admin.end().catch(() => undefined);
      await local?.stop();
    })());
  // Stopped from outside (Ctrl-C, a test's timeout): the server processes and the MariaDB this
  // started stop too, rather than run on alone.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanUp().finally(() => process.exit(1)));
  }
  try {
    const [[info]] = (await admin.query('SELECT VERSION() AS v, @@pid_file AS pidFile')) as unknown as [[{ v: string; pidFile: string }]];
    let mariadbPid: number | undefined;
    try {
      mariadbPid = Number(readFileSync(info!.pidFile, 'utf8').trim()) || undefined;
    } catch {
      mariadbPid = undefined; // a server on another machine, or a pid file this user cannot read
    }
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}`);
    await admin.query(`CREATE DATABASE ${DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    const target = { ...server, database: DATABASE };
    await migrate(target);
    const pool = createPool(target, 4);
    const { token } = await createKey(pool, { tenant: TENANT, role: 'write' });
    await pool.end();

    const env = {
      DATABASE_URL: formatDatabaseUrl(target),
      LOG_LEVEL: 'info', // the port is read from the "listening" line
      FEED_MAX_STREAMS: String(sizes.watchedSessions + sizes.streamsOnOneSession + 100),
      FEED_MAX_STREAMS_PER_KEY: String(sizes.watchedSessions + sizes.streamsOnOneSession + 100),
    };
    // Both are stopped at the end even when only one of them started.
    const spawned = await Promise.allSettled([spawnServerProcess(env), spawnServerProcess(env)]);
    for (const outcome of spawned) if (outcome.status === 'fulfilled') processes.push(outcome.value);
    for (const outcome of spawned) if (outcome.status === 'rejected') throw outcome.reason;
    const [watcher, writer] = processes as [ServerProcess, ServerProcess];
    const watcherPid = watcher.child.pid;
    const auth = { authorization: `Bearer ${token}` };
    const put = async (sid: string, state: unknown): Promise<number> => {
      const response = await fetch(`${writer.baseUrl}/v1/sessions/${encodeURIComponent(sid)}/state`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(state),
      });
      const answer = (await response.json()) as { version: number };
      if (response.status !== 201) throw new Error(`PUT ${sid}: HTTP ${response.status} ${JSON.stringify(answer)}`);
      return answer.version;
    };
    const chat = (sid: string, turn: number): unknown => ({
      session: sid,
      messages: Array.from({ length: 4 + (turn % 8) }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', text: `message ${i} of turn ${turn}` })),
    });

    /** Each write timed from its answer to its event; writes spaced at random over two poll intervals, so every phase of the poll is sampled. */
    const timeWrites = async (streams: Streams, sids: string[], count: number): Promise<Delay> => {
      const versions = new Map<string, number>();
      const samples: number[] = [];
      for (let i = 0; i < count; i++) {
        const sid = sids[i % sids.length]!;
        const version = await put(sid, chat(sid, (versions.get(sid) ?? 1) + 1 + i));
        const acknowledged = performance.now();
        versions.set(sid, version);
        samples.push((await streams.arrival(sid, version)) - acknowledged);
        await sleep(Math.random() * 2 * config.feedPollMs);
      }
      return delay(samples);
    };

    // 1. Delay: one watcher, one session.
    log('delay, one watched session');
    await put('delay-0', chat('delay-0', 0));
    const single = await openStreams(watcher.baseUrl, token, ['delay-0']);
    const idleWatcher = await timeWrites(single, ['delay-0'], sizes.delaySamples);
    single.close();

    // 2. Cost of watching many sessions: first the same windows without any stream.
    log(`creating ${sizes.watchedSessions} sessions`);
    const sids = Array.from({ length: sizes.watchedSessions }, (_, i) => `watched-${i}`);
    for (let i = 0; i < sids.length; i += 16) await Promise.all(sids.slice(i, i + 16).map((sid) => put(sid, chat(sid, 1))));
    // Every write of every window a state of its own: a repeat would be an unchanged save (200).
    let written = 0;
    const writeLoad = async (until: number): Promise<void> => {
      let i = 0;
      const interval = 1000 / sizes.writesPerSecond;
      const start = performance.now();
      while (performance.now() < until) {
        const sid = sids[Math.floor(Math.random() * sids.length)]!;
        void put(sid, chat(sid, 1000 + written++));
        i++;
        await sleep(Math.max(0, start + i * interval - performance.now()));
      }
      await sleep(500); // the last writes' answers
    };
    await sleep(1000);
    log('baseline windows: no streams');
    const noStreamsIdle = await measure(admin, watcherPid, mariadbPid, sizes.windowSeconds);
    const writingWithoutStreams = await measure(admin, watcherPid, mariadbPid, sizes.windowSeconds, writeLoad);

    log(`opening ${sizes.watchedSessions} streams, one per session`);
    const many = await openStreams(watcher.baseUrl, token, sids);
    await sleep(1000);
    log('windows: watching');
    const watchingIdle = await measure(admin, watcherPid, mariadbPid, sizes.windowSeconds);
    const writingWhileWatching = await measure(admin, watcherPid, mariadbPid, sizes.windowSeconds, writeLoad);
    log('delay while watching them all');
    const watcherOfMany = await timeWrites(many, sids, sizes.delaySamples);
    many.close();

    log(`${sizes.streamsOnOneSession} streams on one session`);
    await sleep(1000);
    const crowd = await openStreams(watcher.baseUrl, token, Array.from({ length: sizes.streamsOnOneSession }, () => 'delay-0'));
    await sleep(1000);
    const oneSessionIdle = await measure(admin, watcherPid, mariadbPid, sizes.windowSeconds);
    crowd.close();

    const results: Results = {
      meta: {
        date: new Date().toISOString().slice(0, 10),
        cpus: cpus().length,
        cpu_model: cpus()[0]?.model.trim() ?? 'unknown',
        node: process.versions.node,
        mariadb: info!.v,
        feed_poll_ms: config.feedPollMs,
        quick: values.quick,
        command: values.quick ? 'npm run bench:feed -- --quick' : 'npm run bench:feed',
        seconds: Math.round((performance.now() - started) / 1000),
        sizes,
      },
      delay_two_processes: { idle_watcher: idleWatcher, watcher_of_many: watcherOfMany },
      cost: {
        watched_sessions: sizes.watchedSessions,
        no_streams_idle: noStreamsIdle,
        watching_idle: watchingIdle,
        streams_on_one_session: sizes.streamsOnOneSession,
        one_session_idle: oneSessionIdle,
        writes_per_second: sizes.writesPerSecond,
        writing_without_streams: writingWithoutStreams,
        writing_while_watching: writingWhileWatching,
        feed_queries_per_second_idle: round(watchingIdle.queries_per_second - noStreamsIdle.queries_per_second, 1),
        feed_queries_per_second_writing: round(writingWhileWatching.queries_per_second - writingWithoutStreams.queries_per_second, 1),
      },
    };
    writeRun(values.out!, results, markdown(results));
    return 0;
  } finally {
    await cleanUp();
  }
}

function markdown(r: Results): string {
  const cpu = (x: number | null): string => (x === null ? 'n/a' : `${x} %`);
  const row = (label: string, w: Window): string => `| ${label} | ${w.queries_per_second} | ${cpu(w.watcher_cpu_percent)} | ${cpu(w.mariadb_cpu_percent)} |`;
  const ms = (x: number): number => round(x, 1);
  const d = (label: string, x: Delay): string => `| ${label} | ${ms(x.p50_ms)} | ${ms(x.p99_ms)} | ${ms(x.max_ms)} | ${x.samples} |`;
  const c = r.cost;
  return [
    '# Change feed benchmark',
    '',
    `\`${r.meta.command}\`, ${r.meta.date}: ${r.meta.cpus} × ${r.meta.cpu_model}, Node ${r.meta.node}, MariaDB ${r.meta.mariadb}, FEED_POLL_MS ${r.meta.feed_poll_ms}.`,
    'Two server processes on one database: writes go through one, a watcher reads `GET /watch` from the other.',
    '',
    '## Delay: from a write\'s answer (on one process) to its event (on the other)',
    '',
    '| watcher | p50 ms | p99 ms | max ms | writes |',
    '| --- | --- | --- | --- | --- |',
    d('one stream, one session', r.delay_two_processes.idle_watcher),
    d(`one stream on each of ${c.watched_sessions} sessions`, r.delay_two_processes.watcher_of_many),
    '',
    `## Cost: one process watching ${c.watched_sessions} sessions`,
    '',
    'Statements the database ran per second (all clients; the writing process\'s too while it writes), CPU of the',
    'watching server process and of MariaDB, in percent of one core. Each window is compared with the same window without streams.',
    '',
    '| window | queries/s | watcher CPU | MariaDB CPU |',
    '| --- | --- | --- | --- |',
    row('no streams, idle', c.no_streams_idle),
    row(`${c.watched_sessions} streams (one per session), idle`, c.watching_idle),
    row(`${c.streams_on_one_session} streams on one session, idle`, c.one_session_idle),
    row(`no streams, ${c.writes_per_second} writes/s`, c.writing_without_streams),
    row(`${c.watched_sessions} streams, ${c.writes_per_second} writes/s to them`, c.writing_while_watching),
    '',
    `The feed's own queries: ${c.feed_queries_per_second_idle}/s idle (one head query per poll for all ${c.watched_sessions} sessions),`,
    `${c.feed_queries_per_second_writing}/s while ${c.writes_per_second} versions a second are written (plus one events read per poll that saw some).`,
    '',
  ].join('\n');
}

runMain('bench-feed', main);

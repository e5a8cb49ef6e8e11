/**
 * The cluster benchmark: save throughput and latency through 1, 2 and 3 API processes on a
 * 3-node MariaDB Galera cluster on loopback, against one API process on a single MariaDB server
 * started in the same run on the same machine; what WSREP_SYNC_WAIT and DB_POOL_SIZE cost; one hot
 * session written through two nodes (certification conflicts retried); reads through another
 * node right after a write with and without wsrep_sync_wait; and how long saves stall when a node
 * is killed and when it rejoins, with Galera's default timeouts.
 *
 *   npm run bench:galera [-- --seconds 10] [--writers 16] [--rounds 2] [--out <folder>]
 *
 * Writes <out>/results.json and <out>/REPORT.md (default out: bench/galera/). Every server
 * process runs as `npm start` would (dist/src/main.js), with default settings unless a row says
 * otherwise. All of it shares one machine: the figures compare configurations, they are not what
 * three machines would do.
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { createKey } from '../src/access/keys.js';
import { startLocalMariadb } from '../src/db/localMariadb.js';
import { createPool } from '../src/db/pool.js';
import { formatDatabaseUrl, type DatabaseTarget } from '../src/db/target.js';
import { createLogger } from '../src/log.js';
import { projectRoot } from '../src/paths.js';
import { latency, round, writeRun, type Latency } from './bench/measure.js';
import { runMain, UsageError } from './lib/cli.js';
import { startGaleraCluster, type GaleraCluster } from './lib/galeraCluster.js';
import { spawnServerProcess, type ServerProcess } from './lib/serverProcess.js';

const USAGE = 'usage: npm run bench:galera [-- --seconds <s>] [--writers <n>] [--rounds <n>] [--out <folder>]';
const DATABASE = 'bench_galera';

interface Throughput {
  setup: string;
  api_processes: number;
  saves_per_second: number;
  latency: Latency;
  errors: Record<string, number>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One save: a small state (about 1 KB) that changes a little each time, as a session's does. */
async function save(baseUrl: string, token: string, sid: string, i: number): Promise<number> {
  const state = { step: i, cart: Array.from({ length: 12 }, (_, item) => ({ item, qty: (i + item) % 5, note: 'x'.repeat(40) })), at: i % 7 };
  const response = await fetch(`${baseUrl}/v1/sessions/${sid}/state`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify(state),
    signal: AbortSignal.timeout(60_000),
  });
  await response.arrayBuffer();
  return response.status;
}

/** `writers` loops saving for `seconds`, spread over the processes; each writer its own session unless `oneSession`. */
async function run(setup: string, servers: ServerProcess[], token: string, writers: number, seconds: number, oneSession = false): Promise<Throughput> {
  const samples: number[] = [];
  const errors: Record<string, number> = {};
  const tag = randomUUID().slice(0, 8);
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      const server = servers[writer % servers.length]!;
      const sid = oneSession ? `hot-${tag}` : `w${writer}-${tag}`;
      for (let i = 0; performance.now() < deadline; i++) {
        const t = performance.now();
        const status = await save(server.baseUrl, token, sid, writer * 1_000_000 + i).catch((error: Error) => error.name);
        if (status === 201 || status === 200) samples.push(performance.now() - t);
        else errors[String(status)] = (errors[String(status)] ?? 0) + 1;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const result = { setup, api_processes: servers.length, saves_per_second: round(samples.length / elapsed, 1), latency: latency(samples), errors };
  process.stderr.write(`${JSON.stringify(result)}\n`);
  return result;
}

async function startServers(urls: string[], env: Record<string, string> = {}): Promise<ServerProcess[]> {
  const started = await Promise.allSettled(urls.map((url) => spawnServerProcess({ DATABASE_URL: url, ...env }, undefined)));
  const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all(servers.map((server) => server.stop()));
    throw (failed as PromiseRejectedResult).reason;
  }
  return servers;
}

/** Share of reads through node 2 that miss the write just committed through node 1. */
async function staleReads(cluster: GaleraCluster, wsrepSyncWait: number, writes: number): Promise<{ wsrep_sync_wait: number; reads: number; stale: number }> {
  const writer = createPool(cluster.target(0, DATABASE), 1);
  const reader = createPool(cluster.target(1, DATABASE), 1, 0, { wsrepSyncWait });
  try {
    await writer.query('CREATE TABLE IF NOT EXISTS bench_read_your_writes (id INT PRIMARY KEY, v INT NOT NULL)');
    await writer.query('INSERT IGNORE INTO bench_read_your_writes VALUES (1, 0)');
    let stale = 0;
    for (let i = 0; i < writes; i++) {
      const value = Math.floor(Math.random() * 1e9);
      await writer.execute('UPDATE bench_read_your_writes SET v = ? WHERE id = 1', [value]);
      const [rows] = await reader.execute('SELECT v FROM bench_read_your_writes WHERE id = 1');
      if ((rows as { v: number }[])[0]!.v !== value) stale++;
    }
    return { wsrep_sync_wait: wsrepSyncWait, reads: writes, stale };
  } finally {
    await writer.end();
    await reader.end();
  }
}

/**
 * Writers through the processes on nodes 1 and 3 while node 2 is killed, then restarted: the
 * longest save in each phase, i.e. how long the cluster stops committing while it evicts a dead
 * node (Galera's evs timeouts) and while the rejoining node copies its state from a donor (rsync).
 */
async function nodeLoss(cluster: GaleraCluster, servers: ServerProcess[], token: string, writers: number): Promise<Record<string, unknown>> {
  let phase = 'before';
  const longest: Record<string, number> = { before: 0, after_kill: 0, during_rejoin: 0 };
  const errors: Record<string, number> = {};
  let stopping = false;
  const tag = randomUUID().slice(0, 8);
  const load = Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      const server = servers[writer % servers.length]!;
      for (let i = 0; !stopping; i++) {
        const t = performance.now();
        const status = await save(server.baseUrl, token, `loss${writer}-${tag}`, i).catch((error: Error) => error.name);
        const ms = performance.now() - t;
        // Counted in the phase it ends in: a save in flight at the kill waits out the eviction.
        const at = phase;
        if (status === 201 || status === 200) longest[at] = Math.max(longest[at]!, ms);
        else errors[String(status)] = (errors[String(status)] ?? 0) + 1;
      }
    }),
  );
  await sleep(3000);
  phase = 'after_kill';
  const killedAt = performance.now();
  await cluster.kill(1);
  await sleep(10_000);
  phase = 'during_rejoin';
  const restartAt = performance.now();
  await cluster.restart(1);
  const rejoinMs = performance.now() - restartAt;
  await sleep(2000);
  stopping = true;
  await load;
  await cluster.waitSynced();
  return {
    longest_save_ms: Object.fromEntries(Object.entries(longest).map(([key, value]) => [key, round(value, 0)])),
    rejoin_ms: round(rejoinMs, 0),
    kill_to_rejoin_ms: round(restartAt - killedAt, 0),
    errors,
  };
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ options: { seconds: { type: 'string' }, writers: { type: 'string' }, rounds: { type: 'string' }, out: { type: 'string' } } }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const seconds = Number(values.seconds ?? 10);
  const writers = Number(values.writers ?? 16);
  const rounds = Number(values.rounds ?? 2);
  if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError('--rounds ≥ 1');
  if (!(seconds > 0) || !Number.isInteger(writers) || writers < 1) throw new UsageError('--seconds > 0 and --writers ≥ 1');
  const out = values.out ?? join(projectRoot, 'bench', 'galera');
  const logger = createLogger('warn');
  const baseDir = mkdtempSync(join(tmpdir(), 'bench-galera-'));
  const started: ServerProcess[] = [];
  let cluster: GaleraCluster | undefined;
  const single = await startLocalMariadb({ dataDir: join(baseDir, 'single'), autoInstall: true, logger, role: 'script' });
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.splice(0).map((server) => server.stop()));
  };
  process.once('SIGINT', () => void stopAll().finally(() => Promise.all([cluster?.stop(), single.stop()]).finally(() => process.exit(130))));
  try {
    // Galera's own timeouts (providerOptions ''), as production keeps them.
    cluster = await startGaleraCluster({ baseDir: join(baseDir, 'cluster'), logger, providerOptions: '' });
    await cluster.query(0, `CREATE DATABASE ${DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await single.ensureDatabase(DATABASE);
    const singleTarget: DatabaseTarget = single.target(DATABASE);
    const nodeUrls = cluster.nodes.map((_, node) => cluster!.url(node, DATABASE));

    const keyFor = async (target: DatabaseTarget): Promise<string> => {
      const pool = createPool(target, 1);
      try {
        return (await createKey(pool, { tenant: 'default', role: 'write' })).token;
      } finally {
        await pool.end();
      }
    };

    const throughput: Throughput[] = [];
    const measure = async (setup: string, urls: string[], target: DatabaseTarget, env: Record<string, string> = {}, oneSession = false): Promise<void> => {
      const servers = await startServers(urls, env);
      started.push(...servers);
      try {
        const token = await keyFor(target);
        await run(`${setup} (warm-up)`, servers, token, writers, 1, oneSession);
        throughput.push(await run(setup, servers, token, writers, seconds, oneSession));
      } finally {
        await stopAll();
      }
    };
    const singleUrl = formatDatabaseUrl(singleTarget);
    const clusterTarget = cluster.target(0, DATABASE);
    // The first API process must migrate the database before the others start on it.
    await stopAllAfter(await startServers([singleUrl, nodeUrls[0]!]));
    // Every row once per round, so that each lives through the same swings of a shared machine.
    for (let round = 0; round < rounds; round++) {
      await measure('single server', [singleUrl], singleTarget);
      await measure('Galera, 1 node used', nodeUrls.slice(0, 1), clusterTarget);
      await measure('Galera, 2 nodes used', nodeUrls.slice(0, 2), clusterTarget);
      await measure('Galera, 3 nodes used', nodeUrls, clusterTarget);
      await measure('Galera, 3 nodes used, WSREP_SYNC_WAIT=0', nodeUrls, clusterTarget, { WSREP_SYNC_WAIT: '0' });
      await measure('Galera, 3 nodes used, DB_POOL_SIZE=4', nodeUrls, clusterTarget, { DB_POOL_SIZE: '4' });
      await measure('single server, one session', [singleUrl], singleTarget, {}, true);
      await measure('Galera, 2 nodes used, one session', nodeUrls.slice(0, 2), clusterTarget, {}, true);
    }

    const stale = [await staleReads(cluster, 0, 2000), await staleReads(cluster, 1, 2000)];

    const lossServers = await startServers([nodeUrls[0]!, nodeUrls[2]!]);
    started.push(...lossServers);
    const loss = await nodeLoss(cluster, lossServers, await keyFor(clusterTarget), writers);
    await stopAll();

    const results = {
      machine: { cpus: cpus().length, model: cpus()[0]?.model, load_average_at_end: loadavg().map((x) => round(x, 1)) },
      seconds,
      writers,
      rounds,
      throughput,
      read_your_writes: stale,
      node_loss: loss,
    };
    const setups = [...new Set(throughput.map((row) => row.setup))];
    const rows = setups.map((setup) => {
      const of = throughput.filter((row) => row.setup === setup);
      const each = (value: (row: Throughput) => number): string => of.map((row) => round(value(row), 0)).join(' / ');
      const errors = of.flatMap((row) => Object.entries(row.errors).map(([status, count]) => `${count}× ${status}`)).join(', ') || '0';
      return `| ${setup} | ${of[0]!.api_processes} | ${each((row) => row.saves_per_second)} | ${each((row) => row.latency.p50_ms)} | ${each((row) => row.latency.p99_ms)} | ${errors} |`;
    });
    const report = [
      '# Galera cluster benchmark',
      '',
      `\`npm run bench:galera -- --seconds ${seconds} --writers ${writers} --rounds ${rounds}\` on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}): a 3-node MariaDB Galera cluster on loopback (rsync SST, Galera's default timeouts) and a single MariaDB server, in the same run (load average at the end ${loadavg().map((x) => round(x, 1)).join(', ')}: other work shared the machine); ${writers} writers saving ~1 KB states with an Idempotency-Key, each on its own session unless the row says "one session", spread over the API processes; ${seconds} s per row after a 1 s warm-up, every row once per round (figures: round 1 / round 2 ...). Everything shares the machine: compare rows, do not read them as what three machines do.`,
      '',
      '| setup | API processes | saves/s | p50 ms | p99 ms | errors |',
      '| --- | --- | --- | --- | --- | --- |',
      ...rows,
      '',
      '## Read-your-writes across nodes',
      '',
      'An UPDATE committed through node 1, then at once a SELECT through node 2:',
      '',
      ...stale.map((row) => `- \`wsrep_sync_wait=${row.wsrep_sync_wait}\`: ${row.stale} of ${row.reads} reads stale`),
      '',
      '## A node lost and rejoining',
      '',
      `Writers through the processes on nodes 1 and 3; node 2 killed with SIGKILL, restarted ${round((loss.kill_to_rejoin_ms as number) / 1000, 1)} s later; it rejoined (rsync SST) in ${round((loss.rejoin_ms as number) / 1000, 1)} s.`,
      '',
      `- longest save before: ${(loss.longest_save_ms as Record<string, number>).before} ms; after the kill: ${(loss.longest_save_ms as Record<string, number>).after_kill} ms; during the rejoin: ${(loss.longest_save_ms as Record<string, number>).during_rejoin} ms`,
      `- errors: ${JSON.stringify(loss.errors)}`,
      '',
    ].join('\n');
    writeRun(out, results, report);
    return 0;
  } finally {
    await stopAll();
    await cluster?.stop().catch(() => undefined);
    await single.stop().catch(() => undefined);
    rmSync(baseDir, { recursive: true, force: true });
  }

  async function stopAllAfter(servers: ServerProcess[]): Promise<void> {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

runMain('bench:galera', main, USAGE);

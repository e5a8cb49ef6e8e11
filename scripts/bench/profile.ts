/**
 * Where a save's and a load's time goes (issue 12): each scene runs against a fresh server process
 * started with `node --cpu-prof`, and the database's statement counters (SHOW GLOBAL STATUS) are
 * read before and after it, so that each request's statements (its round trips) are counted.
 *
 *   npm run build && node dist/scripts/bench/profile.js [--seconds 8] [--out /tmp/profile]
 *
 * Prints, per scene: requests, their rate, statements per request by kind, and the server's CPU
 * time by module (self time, idle left out) with its 25 costliest functions. The .cpuprofile files
 * stay in --out (open them in Chrome's DevTools). Use the managed MariaDB or DATABASE_URL, alone:
 * the counters are global, any other client's statements would be counted too.
 */
import { readdirSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type mysql from 'mysql2/promise';
import { projectRoot } from '../../src/paths.js';
import { runMain } from '../lib/cli.js';
import { readWorkload, sharedWorkloadFiles, syntheticWorkloads } from '../lib/workloads.js';
import { closedLoop, databasePid, processCpuMs, round } from './measure.js';
import { chatSessionStates, smallStates } from './peer.js';
import { expectOk, startSubject, withBench, type Subject } from './subject.js';
import { spawnServerProcess, type ServerProcess } from '../lib/serverProcess.js';
import { formatDatabaseUrl } from '../../src/db/target.js';

const COUNTERS = ['Questions', 'Com_begin', 'Com_commit', 'Com_select', 'Com_insert', 'Com_update', 'Com_delete', 'Com_rollback', 'Com_stmt_execute', 'Com_stmt_prepare'];

async function counters(admin: mysql.Connection): Promise<Record<string, number>> {
  const [rows] = (await admin.query('SHOW GLOBAL STATUS')) as unknown as [Array<{ Variable_name: string; Value: string }>];
  return Object.fromEntries(rows.filter((row) => COUNTERS.includes(row.Variable_name)).map((row) => [row.Variable_name, Number(row.Value)]));
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Self time by module and by function, in ms, from a .cpuprofile; idle time left out. */
function summarise(path: string): { totalMs: number; byModule: Array<[string, number]>; byFunction: Array<[string, number]> } {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const node = nodes.get(id)!;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') return;
    totalMs += ms;
    const module = moduleOf(url, functionName);
    byModule.set(module, (byModule.get(module) ?? 0) + ms);
    const fn = `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
  });
  const top = (map: Map<string, number>, n: number) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
  return { totalMs, byModule: top(byModule, 20), byFunction: top(byFunction, 25) };
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\//, '').replace(`${projectRoot}/`, '');
}

function moduleOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[1] ?? url}`;
  const ours = /dist\/(src\/[^/]+|scripts)\//.exec(url);
  if (ours) return ours[1]!;
  return shortUrl(url);
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '8' }, out: { type: 'string', default: '/tmp/session-store-profile' } } });
  const seconds = Number(values.seconds);
  const out = values.out!;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const files = sharedWorkloadFiles();
  const chat = files.length > 0 ? readWorkload(files.find((f) => f.includes('chat')) ?? files[0]!) : syntheticWorkloads(300)[0]!;

  return withBench(async (bench) => {
    const { admin } = bench;
    const report: string[] = [];
    type Client = Pick<Subject, 'put' | 'get'>;
    const scene = async (name: string, prepare: (client: Client) => Promise<void>, run: (client: Client) => Promise<{ rate: number; latency: { p50_ms: number; p99_ms: number; samples: number } }>) => {
      bench.log(`profile: ${name}`);
      const dir = join(out, name);
      // Prepared through one server process, measured through another, profiled from its start: the profile holds the scene only.
      const subject = await startSubject(bench, `bench_profile`);
      let profiled: ServerProcess | undefined;
      let result;
      let cpu: { server: number; database: number | undefined } | undefined;
      let before;
      let after;
      try {
        await prepare(subject);
        profiled = await spawnServerProcess({ DATABASE_URL: formatDatabaseUrl(subject.target), DB_POOL_SIZE: '20' }, [process.execPath, '--cpu-prof', `--cpu-prof-dir=${dir}`, join(projectRoot, 'dist/src/main.js')]);
        const auth = { authorization: `Bearer ${subject.token}` };
        const base = profiled.baseUrl;
        const client: Client = {
          put: (sid, body) => fetch(`${base}/v1/sessions/${sid}/state`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body }),
          get: (path) => fetch(`${base}${path}`, { headers: auth }),
        };
        before = await counters(admin);
        const database = await databasePid(admin);
        const cpuBefore = { server: processCpuMs(profiled.child.pid)!, database: processCpuMs(database) };
        result = await run(client);
        cpu = { server: processCpuMs(profiled.child.pid)! - cpuBefore.server, database: cpuBefore.database === undefined ? undefined : processCpuMs(database)! - cpuBefore.database };
        after = await counters(admin);
      } finally {
        await profiled?.stop();
        await subject.close();
      }
      const requests = result.latency.samples;
      // The two counter reads are statements too (SHOW GLOBAL STATUS counts itself): left out.
      const per = (counter: string) => round((after[counter]! - before[counter]! - (counter === 'Questions' ? 1 : 0)) / requests, 2);
      report.push(`### ${name}`, '', `${requests} requests, ${result.rate}/s, p50 ${result.latency.p50_ms} ms, p99 ${result.latency.p99_ms} ms.`, '');
      report.push(`Statements per request: ${COUNTERS.map((c) => `${c} ${per(c)}`).join(', ')}.`, '');
      report.push(`CPU per request (user + system, from /proc): server process ${round(cpu!.server / requests, 3)} ms (all threads), MariaDB ${cpu!.database === undefined ? 'not measured' : `${round(cpu!.database / requests, 3)} ms`}.`, '');
      // One file per thread, named CPU.<date>.<time>.<pid>.<thread id>.<n>.cpuprofile: 0 is the main thread.
      const profiles = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
      const mainThread = profiles.find((f) => f.split('.')[4] === '0')!;
      const summary = summarise(join(dir, mainThread));
      const workerMs = profiles.filter((f) => f !== mainThread).reduce((total, f) => {
        const worker = summarise(join(dir, f));
        return total + worker.totalMs - (worker.byModule.find(([m]) => m === 'piscina')?.[1] ?? 0);
      }, 0);
      report.push(`Server main thread CPU (self time, idle left out): ${round(summary.totalMs, 0)} ms in all, ${round(summary.totalMs / requests, 3)} ms per request; worker threads: ${round(workerMs, 0)} ms (their waits left out).`, '');
      report.push('| module | ms | share |', '| --- | --- | --- |');
      for (const [module, ms] of summary.byModule) report.push(`| ${module} | ${round(ms, 0)} | ${round((100 * ms) / summary.totalMs, 1)}% |`);
      report.push('', '| function | ms | share |', '| --- | --- | --- |');
      for (const [fn, ms] of summary.byFunction) report.push(`| \`${fn}\` | ${round(ms, 0)} | ${round((100 * ms) / summary.totalMs, 1)}% |`);
      report.push('');
    };

    const small = Array.from({ length: 16 }, (_, c) => smallStates(c));
    await scene('save-1kb-16-clients', async () => {}, (server) =>
      closedLoop(16, seconds, async (client, i) => {
        await expectOk(await server.put(`small-${client}`, small[client]!(i)), 'save');
      }),
    );
    await scene('save-chat-16-clients', async () => {}, (server) =>
      closedLoop(16, seconds, async (client, i) => {
        await expectOk(await server.put(`chat-${client}`, chat.lines[i % chat.lines.length]!), 'save');
      }),
    );
    await scene(
      'load-latest-1-client',
      async (subject) => {
        await expectOk(await subject.put('latest', small[0]!(1)), 'save');
      },
      (subject) =>
        closedLoop(1, seconds, async () => {
          await expectOk(await subject.get('/v1/sessions/latest/state'), 'load');
        }),
    );
    const states = chatSessionStates(chat, 1500);
    await scene(
      'load-random-version-1500-chat',
      async (subject) => {
        for (const state of states) await expectOk(await subject.put('chat-1500', state), 'save');
      },
      (subject) =>
        closedLoop(1, seconds, async () => {
          const version = 1 + Math.floor(Math.random() * states.length);
          await expectOk(await subject.get(`/v1/sessions/chat-1500/state?version=${version}`), 'load');
        }),
    );
    process.stdout.write(`${report.join('\n')}\n`);
    return 0;
  });
}

runMain('profile', main);

/**
 * An A/B of saves (or, with --load, of loads of the latest state): two servers on one MariaDB, in alternating turns (so that a shared machine's
 * load weighs on both alike), each with its own settings, or one against the upsert peer. For
 * trying a change before the whole benchmark: build the old tree into another folder under the
 * project (its dist/src/main.js then finds this project's migrations) and pass it as --a-main.
 *
 *   npm run build && node dist/scripts/bench/ab.js [--a K=V,…] [--b K=V,…] [--a-main <main.js>]
 *       [--peer] [--kind small|chat] [--load] [--clients 16] [--seconds 16]
 *
 * Prints each side's rate, p50 and p99, and the server's and MariaDB's CPU per request (from /proc,
 * during that side's turns only), then the ratio of the rates.
 */
import { parseArgs } from 'node:util';
import { runMain } from '../lib/cli.js';
import { sharedWorkloadFiles } from '../lib/workloads.js';
import { alternatingLoops, databasePid, round, turnCpu } from './measure.js';
import { smallStates, startPeer, type Peer } from './peer.js';
import { expectOk, startSubject, withBench, type Subject } from './subject.js';
import { benchWorkloads } from './workloads.js';

function environment(list: string | undefined): Record<string, string> {
  return Object.fromEntries((list ?? '').split(',').filter(Boolean).map((pair) => {
    const at = pair.indexOf('=');
    return [pair.slice(0, at), pair.slice(at + 1)];
  }));
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      a: { type: 'string' },
      b: { type: 'string' },
      'a-main': { type: 'string' },
      peer: { type: 'boolean', default: false },
      kind: { type: 'string', default: 'small' },
      load: { type: 'boolean', default: false },
      clients: { type: 'string', default: '16' },
      seconds: { type: 'string', default: '16' },
    },
  });
  return withBench(async (bench) => {
    const { log } = bench;
    const { chat } = benchWorkloads(sharedWorkloadFiles(), 300);
    const a = await startSubject(bench, 'bench_ab_a', environment(values.a), values['a-main'] ? [process.execPath, values['a-main']] : undefined);
    const b = values.peer ? await startPeer(bench, 'bench_ab_peer') : await startSubject(bench, 'bench_ab_b', environment(values.b));
    try {
      const clients = Number(values.clients);
      const states = () => Array.from({ length: clients }, (_, c) => (values.kind === 'chat' ? (i: number) => chat.lines[i % chat.lines.length]! : smallStates(c)));
      const [statesA, statesB] = [states(), states()];
      const { cpu, onTurn } = turnCpu({ a: a.process.child.pid, b: b.process.child.pid }, await databasePid(bench.admin));
      if (values.load) {
        for (let client = 0; client < clients; client++) {
          await expectOk(await a.put(`ab-${client}`, statesA[client]!(0)), 'a');
          await expectOk(await b.put(`ab-${client}`, statesB[client]!(0)), 'b');
        }
      }
      const path = (client: number) => `/v1/sessions/ab-${client}/state`;
      const runs = await alternatingLoops(clients, Number(values.seconds), 4, values.load ? {
        a: async (client) => void (await expectOk(await a.get(path(client)), 'a')),
        b: async (client) => void (await expectOk(await (values.peer ? (b as Peer).get(`ab-${client}`) : (b as Subject).get(path(client))), 'b')),
      } : {
        a: async (client, i) => void (await expectOk(await a.put(`ab-${client}`, statesA[client]!(i)), 'a')),
        b: async (client, i) => void (await expectOk(await b.put(`ab-${client}`, statesB[client]!(i)), 'b')),
      }, onTurn);
      for (const side of ['a', 'b'] as const) {
        const run = runs[side];
        log(`${side}: ${run.rate}/s, p50 ${run.latency.p50_ms} ms, p99 ${run.latency.p99_ms} ms; per request: server ${round(cpu[side].server / run.count)} ms, MariaDB ${round(cpu[side].database / run.count)} ms`);
      }
      log(`a / b: ${round(runs.a.rate / runs.b.rate, 2)}`);
    } finally {
      await a.close();
      await b.close();
    }
    return 0;
  });
}

runMain('bench-ab', main);

/** Measuring: latency summaries, samples taken in turns, closed-loop throughput, and writing a run's results. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';

export interface Latency {
  p50_ms: number;
  p99_ms: number;
  mean_ms: number;
  samples: number;
}

export function latency(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const mean = sorted.reduce((sum, x) => sum + x, 0) / sorted.length;
  return { p50_ms: round(at(0.5)), p99_ms: round(at(0.99)), mean_ms: round(mean), samples: sorted.length };
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * Times several operations in turns rather than one block after another, so that a subject and
 * its baseline live through the same moments of a noisy machine. The order is shuffled on every
 * turn: in a fixed order, an operation that always follows a database query finds the server's
 * thread still awake, and one that always follows an HTTP call finds it asleep.
 */
export async function interleaved<K extends string>(count: number, ops: Record<K, () => Promise<void>>): Promise<Record<K, number[]>> {
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

/** `clients` loops running `op` until `seconds` pass; returns per-op latencies and the op rate (and the raw samples and time, to merge runs). */
export async function closedLoop(
  clients: number,
  seconds: number,
  op: (client: number, i: number) => Promise<void>,
  first = 0,
): Promise<{ rate: number; latency: Latency; samples: number[]; seconds: number }> {
  const samples: number[] = [];
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let i = first; performance.now() < deadline; i++) {
        const t = performance.now();
        await op(client, i);
        samples.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  return { rate: round(samples.length / elapsed, 1), latency: latency(samples), samples, seconds: elapsed };
}

/**
 * Two closed loops taken in alternating turns (a, b, a, b…, `turns` each, `seconds` in all each),
 * so that both live through the same moments of a shared machine; each one's rate over its own
 * turns, and its latencies. `op`'s `i` carries on from turn to turn, so a client's states do too.
 */
export async function alternatingLoops(
  clients: number,
  seconds: number,
  turns: number,
  ops: { a: (client: number, i: number) => Promise<void>; b: (client: number, i: number) => Promise<void> },
  /** Called as each turn starts and ends (to take the processes' CPU time around it). */
  onTurn: (name: 'a' | 'b', moment: 'start' | 'end') => void = () => undefined,
): Promise<{ a: { rate: number; latency: Latency; count: number }; b: { rate: number; latency: Latency; count: number } }> {
  const runs = { a: { samples: [] as number[], seconds: 0, next: 0 }, b: { samples: [] as number[], seconds: 0, next: 0 } };
  for (let turn = 0; turn < turns; turn++) {
    for (const name of turn % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)) {
      const run = runs[name];
      const counts = new Array<number>(clients).fill(0);
      onTurn(name, 'start');
      const result = await closedLoop(clients, seconds / turns, async (client, i) => {
        counts[client]!++;
        await ops[name](client, i);
      }, run.next);
      onTurn(name, 'end');
      run.samples.push(...result.samples);
      run.seconds += result.seconds;
      run.next += Math.max(...counts);
    }
  }
  const summary = (run: (typeof runs)['a']) => ({ rate: round(run.samples.length / run.seconds, 1), latency: latency(run.samples), count: run.samples.length });
  return { a: summary(runs.a), b: summary(runs.b) };
}

/** CPU time (user + system, ms) process `pid` has used so far, from /proc (Linux); undefined elsewhere. */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // utime and stime: fields 14 and 15 of stat (11 and 12 after the command's closing parenthesis), in clock ticks of 10 ms.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** The MariaDB server's process id, from its pid file; undefined for a server elsewhere (DATABASE_URL), whose CPU is not measured. */
export async function databasePid(admin: Pick<mysql.Connection, 'query'>): Promise<number | undefined> {
  const [[row]] = (await admin.query('SELECT @@pid_file AS file')) as unknown as [[{ file: string }]];
  try {
    return Number(readFileSync(row!.file, 'utf8').trim());
  } catch {
    return undefined;
  }
}

/**
 * The CPU time of each side's server process and of MariaDB, during that side's turns only: pass
 * `onTurn` to alternatingLoops, then read `cpu` (ms, 0 where /proc cannot tell).
 */
export function turnCpu(pids: { a: number | undefined; b: number | undefined }, databasePid: number | undefined) {
  const cpu = { a: { server: 0, database: 0 }, b: { server: 0, database: 0 } };
  let mark = { server: 0, database: 0 };
  const onTurn = (side: 'a' | 'b', moment: 'start' | 'end'): void => {
    const now = { server: processCpuMs(pids[side]) ?? 0, database: processCpuMs(databasePid) ?? 0 };
    if (moment === 'start') mark = now;
    else {
      cpu[side].server += now.server - mark.server;
      cpu[side].database += now.database - mark.database;
    }
  };
  return { cpu, onTurn };
}

/** Writes a run's figures (results.json) and its report (REPORT.md) to `out`, and prints the report. */
export function writeRun(out: string, results: unknown, report: string): void {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(out, 'REPORT.md'), report);
  process.stdout.write(report);
}

/** 6. What another tenant waits while one tenant saves and diffs a very large state. */
import { createKey } from '../../src/access/keys.js';
import { latency, round } from './measure.js';
import type { Sizes } from './sizes.js';
import { expectOk, startSubject, type Bench } from './subject.js';

/**
 * One tenant PUTs an N-element array, PUTs another, and GETs the diff of the two, while a second
 * tenant sends small GETs one after another and times each. Its longest wait is the longest
 * pause the large state caused. Baselines in the same run: the same bystander on an idle server,
 * and the same scene on a server that does all state work on its event loop (WORKER_THREADS=0).
 */
export async function pauses(bench: Bench, sizes: Sizes) {
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

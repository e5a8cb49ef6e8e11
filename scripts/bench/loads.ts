/**
 * 3. Load latency against history length, end to end over HTTP and through the load use case in
 * this process, taken in turns with a primary-key SELECT of the same state stored whole.
 */
import { loadConfig } from '../../src/config.js';
import type { Json } from '../../src/core/json.js';
import { selectRows } from '../../src/db/pool.js';
import { createApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/log.js';
import { importStates } from '../../src/sessions/importStates.js';
import { loadState } from '../../src/sessions/load.js';
import { interleaved, latency, round } from './measure.js';
import type { Sizes } from './sizes.js';
import { expectOk, startSubject, TENANT, type Bench } from './subject.js';

function* evolvingStates(count: number): Generator<Json> {
  const log: Json[] = [];
  for (let i = 0; i < count; i++) {
    log.push({ turn: i, role: i % 2 ? 'assistant' : 'user', text: `message number ${i} with some words in it` });
    if (log.length > 12) log.shift();
    yield { counter: i, user: { id: 'u1', name: 'Ana' }, settings: { theme: i % 3 ? 'dark' : 'light', page: i % 7 }, recent: [...log] };
  }
}

export async function loads(bench: Bench, sizes: Sizes) {
  const subject = await startSubject(bench, 'bench_loads');
  try {
    const app = createApp({ pool: subject.pool, config: { ...loadConfig(), stateCacheBytes: 0 }, logger: silentLogger });
    // The load use case in this process, as the server runs it (with its head-state cache).
    const inProcess = createApp({ pool: subject.pool, config: loadConfig(), logger: silentLogger });
    const results = [];
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

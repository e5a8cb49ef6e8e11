/**
 * 3. Load latency against history length, end to end over HTTP and through the load use case in
 * this process, taken in turns with a primary-key SELECT of the same state stored whole. Then,
 * for each history, how many patches a load replays: from the database, for every version, and
 * counted on the load path itself.
 */
import { loadConfig } from '../../src/config.js';
import type { Json } from '../../src/core/json.js';
import { selectRows } from '../../src/db/pool.js';
import { createApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/log.js';
import type { StoreContext } from '../../src/sessions/context.js';
import { importStates } from '../../src/sessions/importStates.js';
import { loadState } from '../../src/sessions/load.js';
import { createStateCache } from '../../src/sessions/stateCache.js';
import type { TaskRunner } from '../../src/work/taskRunner.js';
import { interleaved, latency, round } from './measure.js';
import type { Sizes } from './sizes.js';
import { expectOk, startSubject, TENANT, type Bench } from './subject.js';

/**
 * How many patches a load of `sessionId` replays. From the database, for every version: the
 * events since the nearest checkpoint at or below it. On the load path: a few versions (the
 * latest of the worst ones, and ten spread up to the head) loaded through the use case with no
 * head-state cache, counting the patches each replay was given, and how many more than the
 * database says it needed (0 when each starts at the nearest checkpoint).
 */
async function replayBound(store: StoreContext, sessionId: string) {
  const [events] = await selectRows<{ head: number; count: number }>(
    store.pool,
    'SELECT COALESCE(MAX(version), 0) AS head, COUNT(*) AS count FROM events WHERE tenant = ? AND session_id = ?',
    [TENANT, sessionId],
  );
  const head = Number(events!.head);
  const checkpoints = (
    await selectRows<{ version: number }>(store.pool, 'SELECT version FROM checkpoints WHERE tenant = ? AND session_id = ? ORDER BY version', [TENANT, sessionId])
  ).map((row) => Number(row.version));
  // Versions 1..head with no gap, from a checkpoint: a difference of versions counts the events between.
  if (head === 0 || Number(events!.count) !== head || checkpoints[0] !== 1) throw new Error(`session ${sessionId}: not versions 1..${head} from a checkpoint`);
  const since = (version: number): number => version - checkpoints.findLast((checkpoint) => checkpoint <= version)!;
  // The furthest from a checkpoint: the last version before each next one, and the head.
  let worst = 1;
  let mostSince = 0;
  checkpoints.forEach((checkpoint, i) => {
    const last = (checkpoints[i + 1] ?? head + 1) - 1;
    if (last - checkpoint >= mostSince) [worst, mostSince] = [last, last - checkpoint];
  });
  const versions = new Set([worst, ...Array.from({ length: 10 }, (_, i) => Math.ceil((head * (i + 1)) / 10))]);

  let replayed = 0;
  const work: TaskRunner = {
    run(name, input, size) {
      if (name === 'replayVersion') replayed += (input as { patchTexts: string[] }).patchTexts.length;
      return store.work.run(name, input, size);
    },
    close: () => store.work.close(),
  };
  const counted = { ...store, work, cache: createStateCache(0) };
  let mostReplayed = 0;
  let beyond = 0;
  for (const version of versions) {
    replayed = 0;
    await loadState(counted, TENANT, sessionId, { version });
    mostReplayed = Math.max(mostReplayed, replayed);
    beyond += replayed - since(version);
  }
  return {
    most_events_since_checkpoint: mostSince,
    versions_loaded: versions.size,
    most_patches_replayed: mostReplayed,
    patches_replayed_beyond_nearest_checkpoint: beyond,
  };
}

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
        replay: await replayBound(app.store, sid),
      });
    }
    const shortest = results[0]!;
    const longest = results.at(-1)!;
    return {
      checkpoint_every: app.store.policy.maxEventsBetween,
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

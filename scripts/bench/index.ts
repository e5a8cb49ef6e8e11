/**
 * The benchmark: storage, save throughput, load latency, history pages, diff and the pauses a
 * large state causes another tenant, each against a baseline measured in the same run on the
 * same MariaDB, so that the ratios hold on a noisy shared machine even where absolute times drift.
 *
 *   npm run bench [-- --quick] [--out <folder>]
 *
 * Writes <out>/results.json and <out>/REPORT.md (default out: bench/). --quick runs every part
 * at tiny sizes (the test suite runs it so the benchmark cannot rot).
 *
 * Here: the run itself. The harness is measure.ts (timing) and subject.ts (the server under test
 * on a fresh database); each measurement has its file (storage, saves, loads, historyPages, diff,
 * pauses) with its baselines; report.ts holds the targets and the markdown.
 */
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../../src/paths.js';
import { runMain } from '../lib/cli.js';
import { sharedWorkloadFiles, SHARED_WORKLOADS_DIR } from '../lib/workloads.js';
import { diffs, longListDiffs } from './diff.js';
import { historyPages } from './historyPages.js';
import { loads } from './loads.js';
import { writeRun } from './measure.js';
import { pauses } from './pauses.js';
import { peerLoads } from './peerLoads.js';
import { markdown, targets, type Results } from './report.js';
import { saves } from './saves.js';
import { FULL, QUICK } from './sizes.js';
import { storage } from './storage.js';
import { withBench } from './subject.js';
import { benchWorkloads } from './workloads.js';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string', default: join(projectRoot, 'bench') } } });
  const sizes = values.quick ? QUICK : FULL;
  const started = performance.now();
  return withBench(async (bench) => {
    const { admin, log } = bench;
    const files = sharedWorkloadFiles();
    if (files.length === 0) log(`no workloads in ${SHARED_WORKLOADS_DIR}: using synthetic stand-ins (figures are not comparable)`);
    const { source, workloads, chat } = benchWorkloads(files, sizes.workloadStates);
    const [[version]] = (await admin.query('SELECT VERSION() AS v')) as unknown as [[{ v: string }]];
    const storageResults = await storage(bench, workloads);
    const saveResults = await saves(bench, chat, sizes);
    const loadResults = await loads(bench, sizes);
    const historyResults = await historyPages(bench, sizes);
    log('diff');
    const diffResults = diffs(workloads);
    const longListResults = longListDiffs(sizes.longListRows);
    const pauseResults = await pauses(bench, sizes);
    const peerLoadResults = await peerLoads(bench, chat, sizes);
    const partial = {
      meta: {
        date: new Date().toISOString().slice(0, 10),
        cpus: cpus().length,
        cpu_model: cpus()[0]?.model.trim() ?? 'unknown',
        memory_gib: Math.round(totalmem() / 2 ** 30),
        node: process.versions.node,
        mariadb: version!.v,
        quick: values.quick,
        workloads: source,
        command: values.quick ? 'npm run bench -- --quick' : 'npm run bench',
        seconds: Math.round((performance.now() - started) / 1000),
        sizes,
      },
      storage: storageResults,
      saves: saveResults,
      loads: loadResults,
      history_pages: historyResults,
      diff: diffResults,
      diff_long_lists: longListResults,
      pauses: pauseResults,
      peer_loads: peerLoadResults,
    };
    const results: Results = { ...partial, targets: targets(partial) };
    writeRun(values.out!, results, markdown(results));
    return 0;
  });
}

runMain('bench', main);

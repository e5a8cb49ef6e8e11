/**
 * Retention and export/import (issue 11):
 *
 * 1. Stored bytes of each shared workload, saved through HTTP, before and after compacting it to
 *    its last 50 versions (what the service stores: patches and checkpoints; and on disk, the
 *    events and checkpoints tables after OPTIMIZE TABLE gives the freed pages back), and how long
 *    the compaction took.
 * 2. Export and import rates (versions per second, over HTTP, a server in its own process) for a
 *    session of 10,000 versions, and the export's size.
 *
 *   npm run bench:retention [-- --quick] [--out <folder>]
 *
 * Writes <out>/results.json and <out>/REPORT.md (default: bench/retention/).
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectRows, type Pool } from '../../src/db/pool.js';
import { DEFAULT_TRANSACTION_OPTIONS } from '../../src/db/transaction.js';
import { projectRoot } from '../../src/paths.js';
import { compactSession } from '../../src/retention/compact.js';
import { openExport } from '../../src/exchange/export.js';
import { importSession } from '../../src/exchange/import.js';
import { verifyHistory } from '../../src/sessions/verifyHistory.js';
import { createTaskRunner } from '../../src/work/taskRunner.js';
import { runMain } from '../lib/cli.js';
import { sharedWorkloadFiles } from '../lib/workloads.js';
import { round, writeRun } from './measure.js';
import { type Bench, expectOk, startSubject, TENANT, withBench } from './subject.js';
import { benchWorkloads } from './workloads.js';

const KEEP = 50;

async function storedBytes(pool: Pool): Promise<{ logical: number; onDisk: number }> {
  const [logical] = await selectRows<{ bytes: number }>(
    pool,
    'SELECT (SELECT COALESCE(SUM(LENGTH(patch)), 0) FROM events) + (SELECT COALESCE(SUM(LENGTH(body)), 0) FROM checkpoints) AS bytes',
    [],
  );
  // OPTIMIZE rebuilds the tables, so that pages the deletes freed are not counted (InnoDB keeps
  // them for the next rows otherwise); ANALYZE then refreshes the figures.
  for (const table of ['events', 'checkpoints']) {
    await pool.query(`OPTIMIZE TABLE ${table}`);
    await pool.query(`ANALYZE TABLE ${table}`);
  }
  const [[disk]] = (await pool.query(
    `SELECT COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) AS bytes FROM information_schema.TABLES
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('events', 'checkpoints')`,
  )) as unknown as [[{ bytes: number }]];
  return { logical: Number(logical!.bytes), onDisk: Number(disk!.bytes) };
}

async function compaction(bench: Bench, quick: boolean) {
  const { workloads, source } = benchWorkloads(sharedWorkloadFiles(), quick ? 80 : undefined);
  const work = createTaskRunner({ threads: 0, inlineBelow: Number.MAX_SAFE_INTEGER });
  const results = [];
  try {
    for (const workload of workloads) {
      bench.log(`compaction: ${workload.name} (${workload.lines.length} states)`);
      const subject = await startSubject(bench, `bench_retention_${workload.name.replace(/\W/g, '_')}`);
      try {
        for (const line of workload.lines) {
          await expectOk(await subject.put(workload.name, line, { 'idempotency-key': randomUUID() }), `save ${workload.name}`);
        }
        const before = await storedBytes(subject.pool);
        const started = performance.now();
        const result = await compactSession({ pool: subject.pool, work, transactions: DEFAULT_TRANSACTION_OPTIONS }, TENANT, workload.name, { keepVersions: KEEP }, { batchRows: 1000 });
        const ms = performance.now() - started;
        const verified = await verifyHistory(subject.pool, TENANT, workload.name);
        const after = await storedBytes(subject.pool);
        results.push({
          workload: workload.name,
          source,
          versions: workload.lines.length,
          kept_from: result.firstVersion,
          kept_versions: verified.versions,
          events_removed: result.eventsRemoved,
          checkpoints_removed: result.checkpointsRemoved,
          stored_bytes_before: before.logical,
          stored_bytes_after: after.logical,
          reclaimed_bytes_reported: result.bytesReclaimed,
          on_disk_bytes_before: before.onDisk,
          on_disk_bytes_after: after.onDisk,
          compaction_ms: round(ms, 1),
        });
      } finally {
        await subject.close();
      }
    }
  } finally {
    await work.close();
  }
  return results;
}

/**
 * The most of the heap still in use (after a full garbage collection, at each sample) above where
 * it stood before `iterate`: what an export or import keeps, not the garbage it leaves. Needs
 * node --expose-gc (npm run bench:retention gives it); undefined without.
 */
async function retainedDuring(iterate: (sample: () => void) => Promise<void>): Promise<number | undefined> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = 0;
  await iterate(() => {
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed - base);
  });
  return peak;
}

/** The heap an export and an import of session `sid` keep, in this process (the same code the server runs). */
async function exchangeMemory(pool: Pool, sid: string, limits: { maxBytes: number; maxDepth: number }) {
  let file = Buffer.alloc(0);
  const exportRetained = await retainedDuring(async (sample) => {
    const exported = await openExport(pool, TENANT, sid);
    const parts: Buffer[] = [];
    for await (const chunk of exported.lines) {
      // Kept as Buffers, outside the heap measured.
      parts.push(Buffer.from(chunk));
      sample();
    }
    file = Buffer.concat(parts);
  });
  const importRetained = await retainedDuring(async (sample) => {
    async function* pieces(): AsyncGenerator<Buffer> {
      for (let at = 0, n = 0; at < file.length; at += 65_536, n++) {
        if (n % 4 === 0) sample();
        yield file.subarray(at, at + 65_536);
      }
    }
    await importSession(pool, TENANT, `${sid}-memory`, pieces(), { policy: { maxEventsBetween: 64, fullStateRatio: 0.5 }, limits });
  });
  return { file_bytes: file.length, export_heap_retained_bytes: exportRetained, import_heap_retained_bytes: importRetained };
}

/** A chat that keeps its last 50 messages: each version adds one (and drops the oldest). */
function chatState(n: number): string {
  const messages = [];
  for (let k = Math.max(1, n - 49); k <= n; k++) messages.push({ role: k % 2 ? 'user' : 'assistant', text: `message ${k}: ${'lorem ipsum '.repeat(4 + (k % 7))}` });
  return JSON.stringify({ turn: n, title: 'support chat', messages });
}

async function exchange(bench: Bench, quick: boolean) {
  const versions = quick ? 300 : 10_000;
  const subject = await startSubject(bench, 'bench_exchange');
  try {
    bench.log(`exchange: saving ${versions} versions`);
    for (let n = 1; n <= versions; n++) await expectOk(await subject.put('long', chatState(n)), `save ${n}`);
    // The same chat, a tenth as long: does the memory an export or import takes follow the length?
    const shortVersions = Math.round(versions / 10);
    for (let n = 1; n <= shortVersions; n++) await expectOk(await subject.put('short', chatState(n)), `save ${n}`);
    const auth = { authorization: `Bearer ${subject.token}` };
    const base = subject.process.baseUrl;

    const runs = [];
    for (let round_ = 0; round_ < 3; round_++) {
      bench.log(`exchange: export and import, run ${round_ + 1}`);
      const exportStarted = performance.now();
      const response = await fetch(`${base}/v1/sessions/long/export`, { headers: auth });
      const chunks: Buffer[] = [];
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
      const exportMs = performance.now() - exportStarted;
      const file = Buffer.concat(chunks);
      const importStarted = performance.now();
      await expectOk(
        await fetch(`${base}/v1/sessions/long-copy-${round_}/import`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson' }, body: file }),
        'import',
      );
      const importMs = performance.now() - importStarted;
      runs.push({ exportMs, importMs, bytes: file.length });
    }
    bench.log('exchange: the heap an export and an import keep, for this session and one a tenth as long');
    const limits = { maxBytes: 16 * 1024 * 1024, maxDepth: 64 };
    const memory = [
      { versions: shortVersions, ...(await exchangeMemory(subject.pool, 'short', limits)) },
      { versions, ...(await exchangeMemory(subject.pool, 'long', limits)) },
    ];
    const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const exportMs = median(runs.map((r) => r.exportMs));
    const importMs = median(runs.map((r) => r.importMs));
    await verifyHistory(subject.pool, TENANT, 'long-copy-0');
    return {
      versions,
      export_bytes: runs[0]!.bytes,
      export_ms: round(exportMs, 1),
      import_ms: round(importMs, 1),
      export_versions_per_second: Math.round(versions / (exportMs / 1000)),
      memory,
      import_versions_per_second: Math.round(versions / (importMs / 1000)),
      runs: runs.length,
    };
  } finally {
    await subject.close();
  }
}

function report(results: { meta: Record<string, unknown>; compaction: Array<Record<string, number | string>>; exchange: Record<string, unknown> }): string {
  const n = (value: unknown): string => Number(value).toLocaleString('en-US');
  const lines = [
    '# Retention and export/import benchmark',
    '',
    `\`${results.meta.command}\`, ${results.meta.date}, ${results.meta.cpus} cores, MariaDB ${results.meta.mariadb}, Node ${results.meta.node}.`,
    '',
    `## Compacting each workload to its last ${KEEP} versions`,
    '',
    'Stored bytes: the patches and checkpoints the service keeps; on disk: the events and checkpoints tables (data and indexes) after `OPTIMIZE TABLE`.',
    '',
    '| workload | versions | stored before | stored after | reclaimed | on disk before | on disk after | compaction |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.compaction.map(
      (r) =>
        `| ${r.workload} | ${r.versions} → v${r.kept_from}..v${r.versions} | ${n(r.stored_bytes_before)} B | ${n(r.stored_bytes_after)} B | ${n(Number(r.stored_bytes_before) - Number(r.stored_bytes_after))} B (${Math.round((1 - Number(r.stored_bytes_after) / Number(r.stored_bytes_before)) * 100)}%) | ${n(r.on_disk_bytes_before)} B | ${n(r.on_disk_bytes_after)} B | ${r.compaction_ms} ms |`,
    ),
    '',
    `## Export and import of a ${n(results.exchange.versions)}-version session`,
    '',
    `A chat keeping its last 50 messages, one added per version; over HTTP to a server in its own process (median of ${results.exchange.runs} runs).`,
    '',
    '| | time | versions / s |',
    '| --- | --- | --- |',
    `| export (GET /export, ${n(results.exchange.export_bytes)} B) | ${n(results.exchange.export_ms)} ms | ${n(results.exchange.export_versions_per_second)} |`,
    `| import (POST /import, every line checked) | ${n(results.exchange.import_ms)} ms | ${n(results.exchange.import_versions_per_second)} |`,
    '',
    'The most of the heap an export and an import keep (the same code in the benchmark\'s process, run with `--expose-gc`: heap in use after a full collection, at every chunk of the export and every 4th 64 KiB piece of the import, above where it stood before):',
    '',
    '| session | file | export keeps | import keeps |',
    '| --- | --- | --- | --- |',
    ...(results.exchange.memory as unknown as Array<Record<string, number | undefined>>).map(
      (m) => `| ${n(m.versions)} versions | ${n(m.file_bytes)} B | ${m.export_heap_retained_bytes === undefined ? 'n/a' : `${n(m.export_heap_retained_bytes)} B`} | ${m.import_heap_retained_bytes === undefined ? 'n/a' : `${n(m.import_heap_retained_bytes)} B`} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string', default: join(projectRoot, 'bench', 'retention') } } });
  const started = performance.now();
  return withBench(async (bench) => {
    const { admin } = bench;
    const [[version]] = (await admin.query('SELECT VERSION() AS v')) as unknown as [[{ v: string }]];
    const compactionResults = await compaction(bench, values.quick ?? false);
    const exchangeResults = await exchange(bench, values.quick ?? false);
    const results = {
      meta: {
        date: new Date().toISOString().slice(0, 10),
        cpus: cpus().length,
        node: process.versions.node,
        mariadb: version!.v,
        quick: values.quick,
        command: values.quick ? 'npm run bench:retention -- --quick' : 'npm run bench:retention',
        seconds: Math.round((performance.now() - started) / 1000),
      },
      compaction: compactionResults,
      exchange: exchangeResults,
    };
    writeRun(values.out!, results, report(results));
    return 0;
  });
}

runMain('bench:retention', main);

/**
 * Saves each state of NDJSON workloads (one full state per line, in save order) through the real
 * HTTP API as one session per workload, then reports what was stored against the sum of the full
 * states and verifies each session by replay. Each save carries an Idempotency-Key, as both clients
 * send, so the report also shows the records those leave for IDEMPOTENCY_TTL_SECONDS.
 *
 *   npm run import-workload -- [files...]      (default: the shared workloads in ../shared/workloads)
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { verifyHistory } from '../src/sessions/verifyHistory.js';
import { readStoredBytes } from '../src/store/readStoredBytes.js';
import { runMain } from './lib/cli.js';
import { readWorkload, sharedWorkloadFiles } from './lib/workloads.js';
import { startService } from './lib/inProcessServer.js';

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { prefix: { type: 'string', default: 'workload-' } } });
  const files = positionals.length > 0 ? positionals : sharedWorkloadFiles();
  if (files.length === 0) {
    process.stderr.write('no workload files given, and none found in ../shared/workloads\n');
    return 2;
  }
  const service = await startService();
  try {
    const rows: string[][] = [
      ['workload', 'saves', 'versions', 'full states (B)', 'events (B)', 'checkpoints (B)', 'stored (B)', 'full / stored', 'idempotency records (B)', 'records / stored', 'verify'],
    ];
    for (const file of files) {
      const workload = readWorkload(file);
      const sessionId = `${values.prefix}${workload.name}`;
      await service.fetch(`/v1/sessions/${sessionId}?purge=true`, { method: 'DELETE' });
      let fullBytes = 0;
      let head = 0;
      for (const line of workload.lines) {
        fullBytes += Buffer.byteLength(line);
        const response = await service.fetch(`/v1/sessions/${sessionId}/state`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
          body: line,
        });
        const answer = (await response.json()) as { version: number; detail?: string };
        if (response.status >= 300) throw new Error(`${workload.name}: save answered ${response.status}: ${answer.detail}`);
        head = answer.version;
      }
      const { eventBytes, checkpointBytes, idempotencyRecords, idempotencyBytes } = await readStoredBytes(service.pool, 'default', sessionId);
      const verified = await verifyHistory(service.pool, 'default', sessionId);
      rows.push([
        workload.name,
        String(workload.lines.length),
        String(head),
        String(fullBytes),
        String(eventBytes),
        String(checkpointBytes),
        String(eventBytes + checkpointBytes),
        `${(fullBytes / (eventBytes + checkpointBytes)).toFixed(1)}x`,
        `${idempotencyBytes} (${idempotencyRecords})`,
        `+${Math.round((100 * idempotencyBytes) / (eventBytes + checkpointBytes))}%`,
        `ok (${verified.versions} versions, ${verified.checkpoints} checkpoints)`,
      ]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    for (const row of rows) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}\n`);
    return 0;
  } finally {
    await service.close();
  }
}

runMain('import-workload', main);

/**
 * Imports export files (GET /v1/sessions/{sid}/export, `npm run export`), each as the session its
 * header names, in the tenant its header names (or --tenant): the restore of a tenant's backup,
 * or the second half of a move between installations. Each file is checked whole before its
 * session is committed; a file that fails is reported with its line and imports nothing, and the
 * other files go on. Exit code 1 when any failed.
 *
 *   npm run import -- [--tenant T] FILE...
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadConfig } from '../src/config.js';
import { DomainError } from '../src/errors.js';
import { importSession } from '../src/exchange/import.js';
import { runMain, scriptArguments, UsageError, withServiceDatabase } from './lib/cli.js';

const USAGE = 'usage: npm run import -- [--tenant T] FILE...';

async function main(): Promise<number> {
  const parsed = scriptArguments(USAGE, {
    tenant: { type: 'string' },
  });
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw new UsageError('name at least one file');
  const config = loadConfig();
  return withServiceDatabase(async (pool) => {
    let failed = 0;
    let versions = 0;
    const started = performance.now();
    for (const file of positionals) {
      const header = await readHeader(file);
      const tenant = values.tenant ?? header.tenant;
      const sessionId = header.session_id;
      if (typeof tenant !== 'string' || typeof sessionId !== 'string') {
        process.stderr.write(`${file}: line 1: not an export header (no tenant or session_id)\n`);
        failed++;
        continue;
      }
      try {
        const result = await importSession(pool, tenant, sessionId, createReadStream(file), {
          policy: { maxEventsBetween: config.checkpointEvery, fullStateRatio: config.fullStateRatio },
          limits: { maxBytes: config.bodyLimitBytes, maxDepth: config.maxJsonDepth },
        });
        versions += result.versions;
        process.stdout.write(`${file}: imported ${tenant}/${sessionId}, v${result.firstVersion}..v${result.headVersion}\n`);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        process.stderr.write(`${file}: ${tenant}/${sessionId} not imported: ${error.message}\n`);
        failed++;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`imported ${positionals.length - failed} of ${positionals.length} file(s), ${versions} version(s), in ${seconds.toFixed(1)} s\n`);
    return failed > 0 ? 1 : 0;
  });
}

/** The header of an export file (its first line), or {} when it is not JSON. */
async function readHeader(file: string): Promise<Record<string, unknown>> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      try {
        const parsed = JSON.parse(line) as unknown;
        return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
      } catch {
        return {};
      }
    }
    return {};
  } finally {
    lines.close();
  }
}

runMain('import', main, USAGE);

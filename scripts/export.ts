/**
 * Exports sessions of a tenant as NDJSON files (the format of GET /v1/sessions/{sid}/export), one
 * file per session, `<DIR>/<tenant>/<session id>.ndjson`: a backup of a tenant, or the first half
 * of a move to another installation (`npm run import`).
 *
 *   npm run export -- --tenant T [--session S] --out DIR
 */
import { mkdir, rename } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { openExport } from '../src/exchange/export.js';
import type { Pool } from '../src/db/pool.js';
import { readRetentionCandidates } from '../src/store/readRetentionCandidates.js';
import { runMain, scriptArguments, UsageError, withServiceDatabase } from './lib/cli.js';

const USAGE = 'usage: npm run export -- --tenant T [--session S] --out DIR';

async function main(): Promise<number> {
  const parsed = scriptArguments(USAGE, {
    tenant: { type: 'string' },
    session: { type: 'string' },
    out: { type: 'string' },
  });
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
  if (!values.tenant || !values.out) throw new UsageError('--tenant and --out are required');
  const tenant = values.tenant;
  const folder = join(values.out, tenant);
  await mkdir(folder, { recursive: true });
  return withServiceDatabase(async (pool) => {
    const ids = values.session ? [values.session] : await allSessions(pool, tenant);
    let versions = 0;
    const started = performance.now();
    for (const sessionId of ids) {
      const exported = await openExport(pool, tenant, sessionId);
      const file = join(folder, `${sessionId}.ndjson`);
      // Written under a temporary name and renamed once whole: a file that is there is complete.
      await pipeline(Readable.from(exported.lines), createWriteStream(`${file}.partial`));
      await rename(`${file}.partial`, file);
      const count = exported.header.head_version - exported.header.first_version + 1;
      versions += count;
      process.stdout.write(`${file}: v${exported.header.first_version}..v${exported.header.head_version} (${count} version(s))\n`);
    }
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`exported ${ids.length} session(s) of tenant ${tenant}, ${versions} version(s), in ${seconds.toFixed(1)} s\n`);
    return 0;
  });
}

/** The tenant's live sessions, in id order (a listing by update time would skip sessions saved meanwhile). */
async function allSessions(pool: Pool, tenant: string): Promise<string[]> {
  const ids: string[] = [];
  let after = { tenant, sessionId: '' };
  for (;;) {
    const page = await readRetentionCandidates(pool, after, { tenant }, 1000);
    ids.push(...page.map((s) => s.sessionId));
    if (page.length < 1000) return ids;
    after = { tenant, sessionId: page.at(-1)!.sessionId };
  }
}

runMain('export', main, USAGE);

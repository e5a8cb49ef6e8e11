/**
 * Applies the retention policies now (what the server's sweeper does every
 * RETENTION_SWEEP_SECONDS), against the same database as the server, and prints each session
 * compacted: the versions and checkpoints removed, where its history now starts, the bytes
 * reclaimed.
 *
 *   npm run compact -- [--tenant T] [--session S] [--dry-run]
 */
import { loadConfig } from '../src/config.js';
import { serviceRulesOf } from '../src/retention/policies.js';
import { sweepRetention } from '../src/retention/sweeper.js';
import { createTaskRunner } from '../src/work/taskRunner.js';
import { runMain, scriptArguments, UsageError, withServiceDatabase } from './lib/cli.js';

const USAGE = 'usage: npm run compact -- [--tenant T] [--session S] [--dry-run]';

async function main(): Promise<number> {
  const parsed = scriptArguments(USAGE, {
    tenant: { type: 'string' },
    session: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  });
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
  if (values.session !== undefined && values.tenant === undefined) throw new UsageError('--session needs --tenant');
  const config = loadConfig();
  const dryRun = values['dry-run'] ?? false;
  const work = createTaskRunner({ threads: 0, inlineBelow: Number.MAX_SAFE_INTEGER });
  try {
    return await withServiceDatabase(async (pool) => {
      let sessions = 0;
      let events = 0;
      let checkpoints = 0;
      let bytes = 0;
      await sweepRetention(
        { pool, work, transactions: { retryBudgetMs: config.txRetryBudgetMs } },
        {
          serviceRules: serviceRulesOf(config),
          batchRows: config.compactionBatchRows,
          tenant: values.tenant,
          sessionId: values.session,
          dryRun,
          onSession: (r) => {
            sessions++;
            events += r.eventsRemoved;
            checkpoints += r.checkpointsRemoved;
            bytes += r.bytesReclaimed;
            process.stdout.write(
              `${r.tenant}/${r.sessionId}: ${dryRun ? 'would remove' : 'removed'} ${r.eventsRemoved} version(s) and ${r.checkpointsRemoved} checkpoint(s), ` +
                `${r.bytesReclaimed} B; history now v${r.firstVersion}..v${r.headVersion} (was from v${r.firstVersionBefore})\n`,
            );
          },
        },
      );
      process.stdout.write(
        `${dryRun ? 'dry run: would compact' : 'compacted'} ${sessions} session(s): ${events} version(s) and ${checkpoints} checkpoint(s) ${dryRun ? 'to remove' : 'removed'}, ${bytes} B reclaimed\n`,
      );
      return 0;
    });
  } finally {
    await work.close();
  }
}

runMain('compact', main, USAGE);

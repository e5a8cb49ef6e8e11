import type { Logger } from '../log.js';
import { readRetentionCandidates } from '../store/readRetentionCandidates.js';
import type { RetentionRules } from '../store/retentionPolicies.js';
import { createPeriodicTask, type PeriodicTask } from '../work/periodicTask.js';
import { compactSession, type CompactionContext, type CompactionResult } from './compact.js';
import { effectivePolicy, firstKeptVersion, keepsEverything } from './policy.js';

export interface RetentionSweepOptions {
  /** The service-wide default policy (RETENTION_KEEP_VERSIONS, RETENTION_KEEP_DAYS). */
  serviceRules: RetentionRules;
  batchRows: number;
  /** Only this tenant, or this session. */
  tenant?: string;
  sessionId?: string;
  dryRun?: boolean;
  pauseMs?: number;
  holder?: string;
  signal?: AbortSignal;
  /** Called with each session compacted (or that would be, in a dry run). */
  onSession?: (result: CompactionResult) => void;
}

const PAGE = 500;

/**
 * One pass over the live sessions (of one tenant, or one session) applying each one's policy.
 * A session whose policy keeps everything, or whose first kept version has not moved since the
 * last pass, costs nothing but its row in the page read (keep_days needs one indexed read).
 */
export async function sweepRetention(ctx: CompactionContext, options: RetentionSweepOptions): Promise<CompactionResult[]> {
  const results: CompactionResult[] = [];
  let after = { tenant: '', sessionId: '' };
  for (;;) {
    const page = await readRetentionCandidates(ctx.pool, after, { tenant: options.tenant, sessionId: options.sessionId }, PAGE);
    for (const candidate of page) {
      if (options.signal?.aborted) return results;
      const { rules } = effectivePolicy(candidate.sessionRules, candidate.tenantRules, options.serviceRules);
      if (keepsEverything(rules)) continue;
      // keep_versions alone can be judged from the page; keep_days needs the session's event times.
      // (One session named: always compacted, which also deletes what an interrupted compaction left.)
      const judged = options.sessionId === undefined && rules.keepDays === undefined;
      if (judged && firstKeptVersion(rules, candidate.headVersion, undefined) <= candidate.firstVersion) continue;
      const result = await compactSession(ctx, candidate.tenant, candidate.sessionId, rules, {
        batchRows: options.batchRows,
        dryRun: options.dryRun,
        pauseMs: options.pauseMs,
        holder: options.holder,
        signal: options.signal,
      });
      if (result.skipped || (result.eventsRemoved === 0 && result.checkpointsRemoved === 0 && result.firstVersion === result.firstVersionBefore)) continue;
      results.push(result);
      options.onSession?.(result);
    }
    if (page.length < PAGE) return results;
    const last = page.at(-1)!;
    after = { tenant: last.tenant, sessionId: last.sessionId };
  }
}

export type RetentionSweeper = PeriodicTask;

/**
 * Each server process runs one, every RETENTION_SWEEP_SECONDS. Processes need no leader: each
 * compaction takes its session's lease, so two sweepers never compact one session at once, and a
 * sweeper finding a session leased moves on to the next. Stopping it stops a sweep under way after
 * its current batch.
 */
export function createRetentionSweeper(
  ctx: CompactionContext,
  options: { intervalMs: number; serviceRules: RetentionRules; batchRows: number; logger: Logger },
): RetentionSweeper {
  return createPeriodicTask({
    intervalMs: options.intervalMs,
    what: 'apply retention',
    logger: options.logger,
    async run(signal) {
      const results = await sweepRetention(ctx, { serviceRules: options.serviceRules, batchRows: options.batchRows, pauseMs: 10, signal });
      if (results.length === 0) return;
      options.logger.info('retention compacted sessions', {
        sessions: results.length,
        eventsRemoved: results.reduce((sum, r) => sum + r.eventsRemoved, 0),
        checkpointsRemoved: results.reduce((sum, r) => sum + r.checkpointsRemoved, 0),
        bytesReclaimed: results.reduce((sum, r) => sum + r.bytesReclaimed, 0),
      });
    },
  });
}

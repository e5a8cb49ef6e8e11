import { setTimeout as pause } from 'node:timers/promises';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../log.js';
import { deleteExpiredIdempotencyRecords } from '../store/deleteExpiredIdempotencyRecords.js';
import { createPeriodicTask, type PeriodicTask } from '../work/periodicTask.js';

export interface IdempotencySweeperOptions {
  pool: Pool;
  /** Records written this long ago or earlier are past their window (IDEMPOTENCY_TTL_SECONDS). */
  ttlSeconds: number;
  /** Between two sweeps (IDEMPOTENCY_SWEEP_SECONDS); 0: `start` does nothing, `sweep` still works. */
  intervalMs: number;
  logger: Logger;
  /** The most records one DELETE removes. */
  batchSize?: number;
  /** Between two batches of one sweep, so a backlog is worked off without holding the database. */
  pauseMs?: number;
}

export interface IdempotencySweeper extends PeriodicTask {
  /** One sweep: deletes expired records batch by batch until a batch comes back short. */
  sweep(): Promise<{ deleted: number; batches: number }>;
}

/**
 * Purges the Idempotency-Key records past their window. Each process of a deployment runs one:
 * the batches are plain DELETEs of rows already expired (no GET_LOCK, no leader), so sweepers
 * racing each other only find less to delete. The timer never keeps the process alive, and
 * nothing runs until `start`: src/main.ts starts it and stops it before closing the pool.
 */
export function createIdempotencySweeper(options: IdempotencySweeperOptions): IdempotencySweeper {
  const { pool, ttlSeconds, intervalMs, logger } = options;
  const batchSize = options.batchSize ?? 1000;
  const pauseMs = options.pauseMs ?? 100;

  async function sweep(signal?: AbortSignal): Promise<{ deleted: number; batches: number }> {
    let deleted = 0;
    let batches = 0;
    for (;;) {
      const count = await deleteExpiredIdempotencyRecords(pool, ttlSeconds, batchSize);
      deleted += count;
      batches++;
      if (count < batchSize || signal?.aborted) break;
      try {
        await pause(pauseMs, undefined, { signal });
      } catch {
        break; // stopped during the pause
      }
    }
    return { deleted, batches };
  }

  const task = createPeriodicTask({
    intervalMs,
    what: 'purge expired idempotency records',
    logger,
    async run(signal) {
      const { deleted, batches } = await sweep(signal);
      if (deleted > 0) logger.info('purged expired idempotency records', { deleted, batches, ttlSeconds });
    },
  });
  return { start: task.start, stop: task.stop, sweep: () => sweep() };
}

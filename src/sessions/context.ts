import type { CheckpointPolicy } from '../core/checkpointPolicy.js';
import type { StateLimits } from '../core/stateTasks.js';
import type { Pool } from '../db/pool.js';
import type { TransactionOptions } from '../db/transaction.js';
import type { Logger } from '../log.js';
import type { TaskRunner } from '../work/taskRunner.js';
import type { CheckpointCache } from './checkpointCache.js';
import type { StateCache } from './stateCache.js';

/** What every use case needs: built once in createApp from the pool and the configuration. */
export interface StoreContext {
  pool: Pool;
  cache: StateCache;
  /** Decoded checkpoints (CHECKPOINT_CACHE_BYTES), for loads of older versions; none: read each time. */
  checkpoints?: CheckpointCache;
  policy: CheckpointPolicy;
  transactions: TransactionOptions;
  /** Runs the CPU-heavy state work, off the event loop for large states. */
  work: TaskRunner;
  /** What a state may be: its size and nesting. */
  limits: StateLimits;
  /** How long an Idempotency-Key's first answer is replayed to its retries. */
  idempotencyTtlSeconds: number;
  logger: Logger;
}

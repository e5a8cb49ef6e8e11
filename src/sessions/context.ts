import type { CheckpointPolicy } from '../core/checkpointPolicy.js';
import type { Pool } from '../db/pool.js';
import type { TransactionOptions } from '../db/transaction.js';
import type { Logger } from '../log.js';
import type { StateCache } from './stateCache.js';

/** What every use case needs: built once in createApp from the pool and the configuration. */
export interface StoreContext {
  pool: Pool;
  cache: StateCache;
  policy: CheckpointPolicy;
  transactions: TransactionOptions;
  logger: Logger;
}

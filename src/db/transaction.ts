import { setTimeout as sleep } from 'node:timers/promises';
import { CommitOutcomeUnknown, isConnectionLost, isTransient, RetryTransaction, TransactionStillConflicting } from './errors.js';
import type { Connection, Pool } from './pool.js';
import { countTransactionRetry } from '../metrics/metrics.js';

export interface TransactionOptions {
  /** How many times a deadlocked or lost transaction is run again before the error is raised. */
  maxRetries: number;
}

/**
 * Runs `work` in one transaction on one pooled connection: commits when it returns, rolls back
 * when it throws, always releases the connection. Deadlocks, lock wait timeouts, Galera
 * certification failures and RetryTransaction run the whole of `work` again, with jittered
 * backoff, up to `maxRetries` times; `work` must therefore do nothing outside the database that
 * cannot be repeated. A COMMIT cut off by a lost connection may have been applied: it is never
 * run again, it raises CommitOutcomeUnknown.
 */
export async function withTransaction<T>(
  pool: Pool,
  work: (connection: Connection) => Promise<T>,
  options: TransactionOptions = { maxRetries: 8 },
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const connection = await pool.getConnection();
    let broken = false;
    try {
      await connection.query('START TRANSACTION');
      const result = await work(connection);
      try {
        await connection.query('COMMIT');
      } catch (error) {
        // An error the server answered (a Galera certification failure...) means not committed;
        // a connection lost before the answer leaves the outcome unknown.
        if (isConnectionLost(error)) throw new CommitOutcomeUnknown(error);
        throw error;
      }
      return result;
    } catch (error) {
      await connection.query('ROLLBACK').catch(() => {
        broken = true;
      });
      const retryable = error instanceof RetryTransaction || isTransient(error);
      if (!retryable || attempt >= options.maxRetries) {
        if (error instanceof RetryTransaction) throw new TransactionStillConflicting(`transaction still conflicting after ${attempt + 1} attempts`);
        throw error;
      }
      countTransactionRetry();
      await sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));
    } finally {
      // A connection whose rollback failed is in an unknown state: close it, never reuse it.
      if (broken) connection.destroy();
      else connection.release();
    }
  }
}

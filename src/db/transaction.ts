import { setTimeout as sleep } from 'node:timers/promises';
import { CommitOutcomeUnknown, isConnectionLost, isTransient, RetryTransaction, TransactionStillConflicting } from './errors.js';
import type { Connection, Pool } from './pool.js';

export interface TransactionOptions {
  /**
   * How long (ms, from the first attempt) a transaction that deadlocked, waited out a lock, lost
   * Galera certification or lost its connection before COMMIT is run again; past it the error is
   * raised (a 503). A time rather than a count: on Galera, one hot session written through several
   * nodes loses certification many times in a row, and what the caller can bear is a wait, not a
   * number of attempts (TX_RETRY_BUDGET_MS).
   */
  retryBudgetMs: number;
}

export const DEFAULT_TRANSACTION_OPTIONS: TransactionOptions = { retryBudgetMs: 10_000 };

/** Backoff between attempts: full jitter over an exponential ceiling, 2 ms doubling up to this. */
const MAX_BACKOFF_MS = 100;

/**
 * Runs `work` in one transaction on one pooled connection: commits when it returns, rolls back
 * when it throws, always releases the connection. Deadlocks, lock wait timeouts, Galera
 * certification failures, RetryTransaction and a connection lost before COMMIT run the whole of
 * `work` again on a fresh connection, after a jittered backoff (so conflicting writers on other
 * nodes do not meet again in step), until the retry budget is spent; `work` must therefore do
 * nothing outside the database that cannot be repeated. A COMMIT cut off by a lost connection may
 * have been applied: it is never run again, it raises CommitOutcomeUnknown.
 */
export async function withTransaction<T>(
  pool: Pool,
  work: (connection: Connection) => Promise<T>,
  options: TransactionOptions = DEFAULT_TRANSACTION_OPTIONS,
): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    // A connection that cannot be had (the node is down, refusing) is not retried here: the
    // caller answers 503 at once, and the client retries later, perhaps on another node.
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
        if (isConnectionLost(error)) {
          broken = true;
          throw new CommitOutcomeUnknown(error);
        }
        throw error;
      }
      return result;
    } catch (error) {
      if (error instanceof CommitOutcomeUnknown) throw error;
      // A pooled connection that died (its node restarted, an idle timeout) fails the statement
      // it is given; nothing was committed, so the work runs again on a new connection.
      const lost = isConnectionLost(error);
      if (lost) broken = true;
      else {
        await connection.query('ROLLBACK').catch(() => {
          broken = true;
        });
      }
      const retryable = lost || error instanceof RetryTransaction || isTransient(error);
      const pause = Math.random() * Math.min(MAX_BACKOFF_MS, 2 * 2 ** attempt);
      if (!retryable || Date.now() - started + pause > options.retryBudgetMs) {
        if (error instanceof RetryTransaction) throw new TransactionStillConflicting(`transaction still conflicting after ${attempt + 1} attempts`);
        throw error;
      }
      await sleep(pause);
    } finally {
      // A connection whose rollback failed is in an unknown state: close it, never reuse it.
      if (broken) connection.destroy();
      else connection.release();
    }
  }
}

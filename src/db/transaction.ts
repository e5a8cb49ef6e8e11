import { setTimeout as sleep } from 'node:timers/promises';
import { CommitOutcomeUnknown, isConnectionLost, isTransient, RetryTransaction, TransactionStillConflicting } from './errors.js';
import { runBatch, type Statement } from './batch.js';
import type { Connection, Pool } from './pool.js';
import { countTransactionRetry } from '../metrics/metrics.js';

export interface TransactionOptions {
  /**
   * How long (ms, from the first attempt) a transaction that deadlocked, waited out a lock, lost
   * Galera certification or lost its connection before COMMIT is run again; past it the error is
   * raised (a 503). A time rather than a count: on Galera, one hot session written through several
   * nodes loses certification many times in a row, and what the caller can bear is a wait, not a
   * number of attempts (TX_RETRY_BUDGET_MS).
   */
  retryBudgetMs: number;
  /**
   * Whether withBatchedTransaction may send several statements in one round trip (a
   * multi-statement query). Not on a Galera node: a transaction brute-force aborted by a
   * replicated write while its multi-statement query runs can have its deadlock error eaten, the
   * statements after it then run, each committed on its own, and the COMMIT answers OK for a
   * transaction that was rolled back (seen in test/integration/galera.test.ts as two saves
   * acknowledged with one version; the same holds for stored procedures, mysql-wsrep issue 191).
   * One statement per round trip gets that error for the statement it aborted.
   */
  multiStatement?: boolean;
}

export const DEFAULT_TRANSACTION_OPTIONS: TransactionOptions = { retryBudgetMs: 10_000 };

/** Backoff between attempts: full jitter over an exponential ceiling, 2 ms doubling up to this. */
const MAX_BACKOFF_MS = 100;

/**
 * Runs `attempt` on a pooled connection until it succeeds or may not run again: always releases
 * the connection (destroys it when its state is unknown). Deadlocks, lock wait timeouts, Galera
 * certification failures, RetryTransaction and a connection lost before COMMIT run the attempt
 * again on a fresh connection, after a jittered backoff (so conflicting writers on other nodes do
 * not meet again in step), until the retry budget is spent; an attempt must therefore do nothing
 * outside the database that cannot be repeated. A COMMIT cut off by a lost connection may have
 * been applied: it is never run again, it raises CommitOutcomeUnknown. The one retry loop of
 * withTransaction and withBatchedTransaction.
 */
async function retryingTransaction<T>(
  pool: Pool,
  attempt: (connection: Connection) => Promise<T>,
  options: TransactionOptions,
): Promise<T> {
  const started = Date.now();
  for (let attemptNumber = 0; ; attemptNumber++) {
    // A connection that cannot be had (the node is down, refusing) is not retried here: the
    // caller answers 503 at once, and the client retries later, perhaps on another node.
    const connection = await pool.getConnection();
    let broken = false;
    try {
      return await attempt(connection);
    } catch (error) {
      if (error instanceof CommitOutcomeUnknown) {
        broken = true;
        throw error;
      }
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
      const pause = Math.random() * Math.min(MAX_BACKOFF_MS, 2 * 2 ** attemptNumber);
      if (!retryable || Date.now() - started + pause > options.retryBudgetMs) {
        if (error instanceof RetryTransaction) throw new TransactionStillConflicting(`transaction still conflicting after ${attemptNumber + 1} attempts`);
        throw error;
      }
      countTransactionRetry();
      await sleep(pause);
    } finally {
      // A connection whose rollback failed is in an unknown state: close it, never reuse it.
      if (broken) connection.destroy();
      else connection.release();
    }
  }
}

/**
 * Runs `work` in one transaction on one pooled connection: commits when it returns, rolls back
 * when it throws; retried as retryingTransaction says, so `work` must do nothing outside the
 * database that cannot be repeated.
 */
export async function withTransaction<T>(
  pool: Pool,
  work: (connection: Connection) => Promise<T>,
  options: TransactionOptions = DEFAULT_TRANSACTION_OPTIONS,
): Promise<T> {
  return retryingTransaction(
    pool,
    async (connection) => {
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
    },
    options,
  );
}

/**
 * A transaction whose first and last round trips carry statements of its own: `begin` sends
 * START TRANSACTION with the first statements, `commit` the last statements with COMMIT, so a write
 * whose work between them is in memory costs two round trips rather than one per statement.
 */
export interface BatchedTransaction {
  connection: Connection;
  /** START TRANSACTION and `statements`, in one round trip; their results. Once, before anything else. */
  begin(statements: Statement[]): Promise<unknown[]>;
  /**
   * `statements` then COMMIT, in one round trip (see runBatch); their results. Once it resolves the
   * transaction is committed; if any statement fails, none after it ran, COMMIT included.
   */
  commit(statements: Statement[]): Promise<unknown[]>;
}

/**
 * withTransaction for a BatchedTransaction: the same retries, rollback and release. `work` calls
 * `begin` first; if it returns without calling `commit`, the transaction is committed after it.
 */
export async function withBatchedTransaction<T>(
  pool: Pool,
  work: (transaction: BatchedTransaction) => Promise<T>,
  options: TransactionOptions = DEFAULT_TRANSACTION_OPTIONS,
): Promise<T> {
  const batching = options.multiStatement === false ? 'one by one' : 'batched';
  return retryingTransaction(
    pool,
    async (connection) => {
      let begun = false;
      let committed = false;
      const transaction: BatchedTransaction = {
        connection,
        async begin(statements) {
          if (begun) throw new Error('a transaction begins once');
          begun = true;
          return (await runBatch(connection, [{ sql: 'START TRANSACTION', values: [] }, ...statements], batching)).slice(1);
        },
        async commit(statements) {
          if (!begun) throw new Error('commit before begin');
          if (committed) throw new Error('a transaction commits once');
          try {
            const results = await runBatch(connection, [...statements, { sql: 'COMMIT', values: [] }], batching);
            committed = true;
            return results.slice(0, -1);
          } catch (error) {
            // An error the server answered stopped the batch before its COMMIT: not committed. A
            // connection lost before the answer may have lost it after the COMMIT ran.
            if (isConnectionLost(error)) throw new CommitOutcomeUnknown(error);
            throw error;
          }
        },
      };
      const result = await work(transaction);
      if (!committed) await transaction.commit([]);
      return result;
    },
    options,
  );
}

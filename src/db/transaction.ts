import { setTimeout as sleep } from 'node:timers/promises';
import { CommitOutcomeUnknown, isConnectionLost, isTransient, RetryTransaction, TransactionStillConflicting } from './errors.js';
import { runBatch, type Statement } from './batch.js';
import type { Connection, Pool } from './pool.js';

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
      await sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));
    } finally {
      // A connection whose rollback failed is in an unknown state: close it, never reuse it.
      if (broken) connection.destroy();
      else connection.release();
    }
  }
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
  options: TransactionOptions = { maxRetries: 8 },
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const connection = await pool.getConnection();
    let broken = false;
    let begun = false;
    let committed = false;
    const transaction: BatchedTransaction = {
      connection,
      async begin(statements) {
        if (begun) throw new Error('a transaction begins once');
        begun = true;
        return (await runBatch(connection, [{ sql: 'START TRANSACTION', values: [] }, ...statements])).slice(1);
      },
      async commit(statements) {
        if (!begun) throw new Error('commit before begin');
        if (committed) throw new Error('a transaction commits once');
        try {
          const results = await runBatch(connection, [...statements, { sql: 'COMMIT', values: [] }]);
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
    try {
      const result = await work(transaction);
      if (!committed) await transaction.commit([]);
      return result;
    } catch (error) {
      if (error instanceof CommitOutcomeUnknown) {
        broken = true;
        throw error;
      }
      await connection.query('ROLLBACK').catch(() => {
        broken = true;
      });
      const retryable = error instanceof RetryTransaction || isTransient(error);
      if (!retryable || attempt >= options.maxRetries) {
        if (error instanceof RetryTransaction) throw new TransactionStillConflicting(`transaction still conflicting after ${attempt + 1} attempts`);
        throw error;
      }
      await sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));
    } finally {
      if (broken) connection.destroy();
      else connection.release();
    }
  }
}

import type mysql from 'mysql2/promise';
import { RetryTransaction } from './errors.js';
import type { Queryable } from './pool.js';

/** One SQL statement and its values (`?` placeholders only), to be sent with others. */
export interface Statement {
  sql: string;
  values: unknown[];
  /**
   * A write that must change exactly one row (a head moved from the version it was read at). Where
   * statements go one by one, a statement that changes another number raises RetryTransaction
   * before anything after it runs; in a multi-statement batch the caller must have another guard.
   */
  changesOneRow?: boolean;
}

/** A statement whose values are larger than this is sent on its own, as a prepared statement (see runBatch). */
const BATCH_VALUE_BYTES = 64 * 1024;

function valueBytes(statement: Statement): number {
  let bytes = 0;
  for (const value of statement.values) {
    if (Buffer.isBuffer(value)) bytes += 2 * value.length;
    else if (typeof value === 'string') bytes += value.length;
  }
  return bytes;
}

/**
 * Runs `statements` in order, in as few round trips as it can: one, as a multi-statement text
 * query (the pool's connections allow them; values are still placeholders, escaped by mysql2), for
 * all the small ones. A statement carrying large values (a checkpoint of a large state) is run
 * first and on its own as a prepared statement, since the text protocol sends a Buffer as hex,
 * twice its size, which could pass max_allowed_packet; so only statements that do not depend on
 * one another's order may be given together. MariaDB stops at the first statement that fails and
 * runs none after it: its error is thrown, and a transaction left open is the caller's to roll
 * back. Returns each statement's result (rows for a SELECT, a ResultSetHeader otherwise), in the
 * order given.
 */
export async function runBatch(connection: Queryable, statements: Statement[], mode: 'batched' | 'one by one' = 'batched'): Promise<unknown[]> {
  const results: unknown[] = new Array(statements.length);
  if (mode === 'one by one') {
    // In order, each its own round trip, stopping at the first that fails (see TransactionOptions.multiStatement).
    for (const [i, statement] of statements.entries()) {
      const [result] = statement.values.length > 0
        ? await connection.execute(statement.sql, statement.values as mysql.ExecuteValues[])
        : await connection.query(statement.sql);
      if (statement.changesOneRow && (result as { affectedRows?: number }).affectedRows !== 1) throw new RetryTransaction();
      results[i] = result;
    }
    return results;
  }
  const small: number[] = [];
  for (const [i, statement] of statements.entries()) {
    if (valueBytes(statement) > BATCH_VALUE_BYTES) {
      const [result] = await connection.execute(statement.sql, statement.values as mysql.ExecuteValues[]);
      results[i] = result;
    } else {
      small.push(i);
    }
  }
  if (small.length === 0) return results;
  const sql = small.map((i) => statements[i]!.sql).join(';\n');
  const values = small.flatMap((i) => statements[i]!.values);
  const [answer] = await connection.query(sql, values);
  // One statement answers its own result; several, an array of them.
  const answers = small.length === 1 ? [answer] : (answer as unknown[]);
  small.forEach((i, k) => {
    results[i] = answers[k];
  });
  return results;
}

import { execute, type Queryable } from '../db/pool.js';

/**
 * Takes the one row of `schema_lease` (see migrate.ts) until the transaction ends, for the work a
 * first start does once for all the processes starting together (the first API key). A write,
 * not SELECT ... FOR UPDATE: on one server its row lock makes the others wait, and on Galera,
 * where row locks are not replicated, certification lets only one of two nodes commit it (the
 * other's transaction is retried and finds the work done).
 */
export async function lockSchema(db: Queryable): Promise<void> {
  await execute(db, 'UPDATE schema_lease SET bumps = bumps + 1 WHERE id = 1', []);
}

import { selectRows, type Queryable } from '../db/pool.js';

/**
 * Locks the one row of `schema_lock` until the transaction ends: the migrations hold it while they
 * run, and the work a first start does once for all processes starting together (the first API
 * key) holds it too, so only one of them does it.
 */
export async function lockSchema(db: Queryable): Promise<void> {
  await selectRows(db, 'SELECT id FROM schema_lock WHERE id = 1 FOR UPDATE', []);
}

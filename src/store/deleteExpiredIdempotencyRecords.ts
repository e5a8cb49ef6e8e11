import { execute, type Queryable } from '../db/pool.js';

/**
 * Deletes at most `limit` of the oldest records written at or before the database's clock minus
 * `ttlSeconds`, and returns how many it deleted. Oldest first along idempotency_keys_by_age, so a
 * batch reads the expired rows rather than the whole table; the bound keeps each statement's
 * transaction (and a Galera write set) small and its locks short.
 */
export async function deleteExpiredIdempotencyRecords(db: Queryable, ttlSeconds: number, limit: number): Promise<number> {
  const result = await execute(
    db,
    'DELETE FROM idempotency_keys WHERE created_at <= UTC_TIMESTAMP(6) - INTERVAL ? SECOND ORDER BY created_at LIMIT ?',
    [ttlSeconds, limit],
  );
  return result.affectedRows;
}

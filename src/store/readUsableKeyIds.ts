import { selectRows, type Queryable } from '../db/pool.js';

/**
 * Which of these keys may still be used (not revoked, not expired by the database clock): one
 * statement for every key that holds an open change feed, so that a revocation ends its streams
 * on every server process without a read per stream.
 */
export async function readUsableKeyIds(db: Queryable, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await selectRows<{ id: string }>(
    db,
    `SELECT k.id FROM JSON_TABLE(?, '$[*]' COLUMNS (id CHAR(12) CHARACTER SET ascii COLLATE ascii_bin PATH '$')) AS w
     STRAIGHT_JOIN api_keys k ON k.id = w.id
     WHERE k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > UTC_TIMESTAMP(6))`,
    [JSON.stringify(ids)],
  );
  return new Set(rows.map((row) => row.id));
}

import { selectRows, type Queryable } from '../db/pool.js';

/** How many keys exist, revoked and expired ones included. */
export async function countApiKeys(db: Queryable): Promise<number> {
  const [row] = await selectRows<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM api_keys', []);
  return Number(row!.n);
}

import { execute, type Queryable } from '../db/pool.js';

/** Removes a key row outright (for the temporary keys of scripts; clients revoke instead). */
export async function deleteApiKey(db: Queryable, id: string): Promise<void> {
  await execute(db, 'DELETE FROM api_keys WHERE id = ?', [id]);
}

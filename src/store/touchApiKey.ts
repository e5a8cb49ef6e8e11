import { execute, type Queryable } from '../db/pool.js';

/** Records that a key was used now. */
export async function touchApiKey(db: Queryable, id: string): Promise<void> {
  await execute(db, 'UPDATE api_keys SET last_used_at = UTC_TIMESTAMP(6) WHERE id = ?', [id]);
}

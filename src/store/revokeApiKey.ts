import { execute, type Queryable } from '../db/pool.js';

/** Revokes a key (of the tenant, when given); false when there is no such live key. */
export async function revokeApiKey(db: Queryable, id: string, tenant: string | undefined): Promise<boolean> {
  const result = await execute(
    db,
    `UPDATE api_keys SET revoked_at = UTC_TIMESTAMP(6) WHERE id = ? AND revoked_at IS NULL ${tenant === undefined ? '' : 'AND tenant = ?'}`,
    tenant === undefined ? [id] : [id, tenant],
  );
  return result.affectedRows === 1;
}

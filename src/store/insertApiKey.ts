import { execute, type Queryable } from '../db/pool.js';
import type { Role } from './apiKeys.js';

export interface NewApiKey {
  id: string;
  tenant: string;
  role: Role;
  secretHash: Buffer;
  description: string | undefined;
  expiresAt: string | undefined;
  ratePerSecond: number | undefined;
  rateBurst: number | undefined;
}

/**
 * Inserts a key; false (and nothing written) when its expiry is not after now by the database
 * clock, the clock that later decides whether it has expired.
 */
export async function insertApiKey(db: Queryable, key: NewApiKey): Promise<boolean> {
  const expiresAt = key.expiresAt ?? null;
  const result = await execute(
    db,
    `INSERT INTO api_keys (id, tenant, role, secret_hash, description, created_at, expires_at, rate_per_second, rate_burst)
     SELECT ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), ?, ?, ? FROM DUAL WHERE ? IS NULL OR ? > UTC_TIMESTAMP(6)`,
    [key.id, key.tenant, key.role, key.secretHash, key.description ?? null, expiresAt, key.ratePerSecond ?? null, key.rateBurst ?? null, expiresAt, expiresAt],
  );
  return result.affectedRows === 1;
}

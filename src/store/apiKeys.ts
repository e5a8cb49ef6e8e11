import { dbInstant } from '../core/time.js';
import { execute, selectRows, type Queryable } from '../db/pool.js';

export type Role = 'read' | 'write' | 'admin';

export interface ApiKey {
  id: string;
  tenant: string;
  role: Role;
  secretHash: Buffer;
  description: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  ratePerSecond: number | null;
  rateBurst: number | null;
}

interface ApiKeyRow {
  id: string;
  tenant: string;
  role: Role;
  secret_hash: Buffer;
  description: string | null;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  rate_per_second: number | null;
  rate_burst: number | null;
}

const COLUMNS = `id, tenant, role, secret_hash, description, created_at, last_used_at, expires_at, revoked_at,
  rate_per_second, rate_burst`;

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    tenant: row.tenant,
    role: row.role,
    secretHash: row.secret_hash,
    description: row.description,
    createdAt: dbInstant(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : dbInstant(row.last_used_at),
    expiresAt: row.expires_at === null ? null : dbInstant(row.expires_at),
    revokedAt: row.revoked_at === null ? null : dbInstant(row.revoked_at),
    ratePerSecond: row.rate_per_second,
    rateBurst: row.rate_burst,
  };
}

/** One key by id, with whether it has expired by the database clock. */
export async function readApiKey(db: Queryable, id: string): Promise<(ApiKey & { expired: boolean }) | undefined> {
  const rows = await selectRows<ApiKeyRow & { expired: number }>(
    db,
    `SELECT ${COLUMNS}, (expires_at IS NOT NULL AND expires_at <= UTC_TIMESTAMP(6)) AS expired FROM api_keys WHERE id = ?`,
    [id],
  );
  const row = rows[0];
  return row && { ...toApiKey(row), expired: Boolean(row.expired) };
}

export async function listApiKeys(db: Queryable, tenant: string | undefined): Promise<ApiKey[]> {
  const rows = await selectRows<ApiKeyRow>(
    db,
    `SELECT ${COLUMNS} FROM api_keys ${tenant === undefined ? '' : 'WHERE tenant = ?'} ORDER BY tenant, created_at, id`,
    tenant === undefined ? [] : [tenant],
  );
  return rows.map(toApiKey);
}

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

/** Revokes a key (of the tenant, when given); false when there is no such live key. */
export async function revokeApiKey(db: Queryable, id: string, tenant: string | undefined): Promise<boolean> {
  const result = await execute(
    db,
    `UPDATE api_keys SET revoked_at = UTC_TIMESTAMP(6) WHERE id = ? AND revoked_at IS NULL ${tenant === undefined ? '' : 'AND tenant = ?'}`,
    tenant === undefined ? [id] : [id, tenant],
  );
  return result.affectedRows === 1;
}

export async function touchApiKey(db: Queryable, id: string): Promise<void> {
  await execute(db, 'UPDATE api_keys SET last_used_at = UTC_TIMESTAMP(6) WHERE id = ?', [id]);
}

export async function countApiKeys(db: Queryable): Promise<number> {
  const [row] = await selectRows<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM api_keys', []);
  return Number(row!.n);
}

/** Removes a key row outright (for the temporary keys of scripts; clients revoke instead). */
export async function deleteApiKey(db: Queryable, id: string): Promise<void> {
  await execute(db, 'DELETE FROM api_keys WHERE id = ?', [id]);
}

/** The api_keys table: its row, the columns the reads select, and the row mapped to an ApiKey. */
import { dbInstant } from '../core/time.js';

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

export interface ApiKeyRow {
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

export const API_KEY_COLUMNS = `id, tenant, role, secret_hash, description, created_at, last_used_at, expires_at, revoked_at,
  rate_per_second, rate_burst`;

export function toApiKey(row: ApiKeyRow): ApiKey {
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

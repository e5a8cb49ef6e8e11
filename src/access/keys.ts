import { newKeyId, newToken } from '../core/apiKeyToken.js';
import { formatInstant } from '../core/time.js';
import { isDuplicateKey } from '../db/errors.js';
import type { Queryable } from '../db/pool.js';
import { ValidationError } from '../errors.js';
import type { ApiKey, Role } from '../store/apiKeys.js';
import { insertApiKey } from '../store/insertApiKey.js';
import { listApiKeys } from '../store/listApiKeys.js';
import { readApiKey } from '../store/readApiKey.js';
import { revokeApiKey } from '../store/revokeApiKey.js';

export const TENANT_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
export const ROLES: readonly Role[] = ['read', 'write', 'admin'];

export interface KeyRequest {
  tenant: string;
  role: Role;
  /** DbInstant (UTC DATETIME(6) text), or undefined for a key that never expires. */
  expiresAt?: string | undefined;
  description?: string | undefined;
  ratePerSecond?: number | undefined;
  rateBurst?: number | undefined;
}

export interface CreatedKey {
  key: ApiKey;
  /** The whole key: shown once, never stored. */
  token: string;
}

/** A key asked to expire at an instant that has already passed (by the database clock). */
export class ExpiryPastError extends ValidationError {}

/**
 * Creates a key with a random id and secret; the secret is returned once and stored hashed. An
 * expiry already past is refused (ExpiryPastError, a 400): such a key could never be used.
 */
export async function createKey(db: Queryable, request: KeyRequest): Promise<CreatedKey> {
  for (let attempt = 0; ; attempt++) {
    const id = newKeyId();
    const { token, secretHash } = newToken(id);
    try {
      const inserted = await insertApiKey(db, { id, secretHash, ...request, description: request.description, expiresAt: request.expiresAt, ratePerSecond: request.ratePerSecond, rateBurst: request.rateBurst });
      if (!inserted) throw new ExpiryPastError(`expires_at ${formatInstant(request.expiresAt!)} is already past: a key must expire in the future`);
    } catch (error) {
      if (isDuplicateKey(error) && attempt < 3) continue; // a 48-bit id collided: draw another
      throw error;
    }
    const key = await readApiKey(db, id);
    return { key: key!, token };
  }
}

export function listKeys(db: Queryable, tenant: string | undefined): Promise<ApiKey[]> {
  return listApiKeys(db, tenant);
}

/** Revokes a key; with a tenant, only a key of that tenant. False when no such live key. */
export function revokeKey(db: Queryable, id: string, tenant?: string): Promise<boolean> {
  return revokeApiKey(db, id, tenant);
}

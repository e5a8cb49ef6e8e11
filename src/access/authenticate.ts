import { parseToken, secretMatches, type ParsedToken } from '../core/apiKeyToken.js';
import type { Queryable } from '../db/pool.js';
import { UnauthorizedError } from '../errors.js';
import type { Role } from '../store/apiKeys.js';
import { readApiKey } from '../store/readApiKey.js';
import { touchApiKey } from '../store/touchApiKey.js';

export interface Principal {
  keyId: string;
  tenant: string;
  role: Role;
  ratePerSecond: number | null;
  rateBurst: number | null;
}

const TOUCH_INTERVAL_MS = 60_000;

/**
 * Who is calling, from an `Authorization: Bearer <key>` header. The key row (one primary-key
 * lookup) is read again once the last reading is older than API_KEY_CACHE_MS (1 s by default; 0:
 * on every request), so a revocation or expiry is seen by every server process within that bound;
 * an expiry sooner than that is not cached past (the row says how far off it is, by the database
 * clock). Reading it on every request was a third of a save's statements and half a load's
 * (bench/PROFILE.md). `last_used_at` is written at most once a minute per key and process.
 */
export interface Authenticator {
  /** The caller, after reading the key's row: a revoked or expired key is refused. */
  authenticate(authorization: string | undefined): Promise<Principal>;
  /**
   * The caller as last confirmed by `authenticate` in this process, without a database read:
   * tenant and role never change for a key id, and the secret is checked against the hash seen
   * then. Undefined when this process has not confirmed the key yet. Only a hint: whether the
   * key is still valid (not revoked, not expired) needs `authenticate`.
   */
  remembered(authorization: string | undefined): Principal | undefined;
  /** Forgets what this process knows of a key: its next request reads the row (a revocation made here is seen at once). */
  forget(keyId: string): void;
}

const REMEMBERED_KEYS = 10_000;

export function createAuthenticator(db: Queryable, onTouchError: (error: unknown) => void, cacheMs = 0): Authenticator {
  const touched = new Map<string, number>();
  // `validUntil`: until when (this process's clock) the row read last is taken as current.
  const remembered = new Map<string, { principal: Principal; secretHash: Buffer; validUntil: number }>();

  function parse(authorization: string | undefined): ParsedToken {
    if (!authorization) throw new UnauthorizedError('this route needs an API key: send Authorization: Bearer <key>', false);
    const match = /^Bearer +(\S+)\s*$/i.exec(authorization);
    if (!match) throw new UnauthorizedError('the Authorization header must be "Bearer <key>"');
    const parsed = parseToken(match[1]!);
    if (!parsed) throw new UnauthorizedError('the API key is not one this server issues (sst_<id>_<secret>)');
    return parsed;
  }

  async function authenticate(authorization: string | undefined): Promise<Principal> {
    const parsed = parse(authorization);
    const known = remembered.get(parsed.id);
    if (known && performance.now() < known.validUntil && secretMatches(parsed.secret, known.secretHash)) return known.principal;
    const readAt = performance.now();
    const key = await readApiKey(db, parsed.id);
    if (!key || !secretMatches(parsed.secret, key.secretHash)) throw new UnauthorizedError('unknown API key');
    if (key.revokedAt || key.expired) {
      // Not remembered any more: its later requests are refused before anything runs for them.
      remembered.delete(key.id);
      throw new UnauthorizedError(key.revokedAt ? 'the API key was revoked' : 'the API key has expired');
    }

    const now = Date.now();
    if (now - (touched.get(key.id) ?? 0) > TOUCH_INTERVAL_MS) {
      touched.set(key.id, now);
      touchApiKey(db, key.id).catch(onTouchError);
    }
    const principal = { keyId: key.id, tenant: key.tenant, role: key.role, ratePerSecond: key.ratePerSecond, rateBurst: key.rateBurst };
    if (!remembered.has(key.id) && remembered.size >= REMEMBERED_KEYS) remembered.delete(remembered.keys().next().value!);
    // Counted from before the read: the row may have changed any time after it was sent.
    const validFor = Math.min(cacheMs, key.expiresInMs ?? Number.POSITIVE_INFINITY);
    remembered.set(key.id, { principal, secretHash: key.secretHash, validUntil: readAt + validFor });
    return principal;
  }

  return {
    authenticate,
    remembered(authorization) {
      let parsed;
      try {
        parsed = parse(authorization);
      } catch {
        return undefined;
      }
      const entry = remembered.get(parsed.id);
      return entry && secretMatches(parsed.secret, entry.secretHash) ? entry.principal : undefined;
    },
    forget(keyId) {
      remembered.delete(keyId);
    },
  };
}

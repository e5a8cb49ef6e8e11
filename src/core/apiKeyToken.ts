import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * An API key as clients hold it: `sst_<id>_<secret>`. The id (12 hex characters) is public and
 * names the key in listings and revocation; the secret is 32 random bytes (base64url), shown once
 * at creation and stored only as its SHA-256.
 */
const TOKEN = /^sst_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface ParsedToken {
  id: string;
  secret: string;
}

export function newKeyId(): string {
  return randomBytes(6).toString('hex');
}

export function newToken(id: string): { token: string; secretHash: Buffer } {
  const secret = randomBytes(32).toString('base64url');
  return { token: `sst_${id}_${secret}`, secretHash: hashSecret(secret) };
}

export function parseToken(token: string): ParsedToken | undefined {
  const match = TOKEN.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** Compares the secret's hash with the stored one in constant time. */
export function secretMatches(secret: string, storedHash: Buffer): boolean {
  const hash = hashSecret(secret);
  return storedHash.length === hash.length && timingSafeEqual(hash, storedHash);
}

import { createHash } from 'node:crypto';
import { canonicalJson, type Json } from '../core/json.js';
import type { DbInstant } from '../core/time.js';
import type { Queryable } from '../db/pool.js';
import { UnprocessableError } from '../errors.js';
import type { Statement } from '../db/batch.js';
import { deleteIdempotencyRecord, deleteIdempotencyRecordStatement } from '../store/deleteIdempotencyRecord.js';
import { readIdempotencyRecord } from '../store/readIdempotencyRecord.js';
import type { IdempotencyRecord } from '../store/readIdempotencyRecord.js';
import type { SessionHead } from '../store/sessionHead.js';
import { writeIdempotencyRecord, writeIdempotencyRecordStatement } from '../store/writeIdempotencyRecord.js';

/** A write sent with an Idempotency-Key, and what identifies the request for reuse checks. */
export interface IdempotentRequest {
  tenant: string;
  sessionId: string;
  key: string;
  requestHash: Buffer;
}

/** An answer as its client got it: the HTTP status and the body, exactly as sent ('' for a 204). */
export interface StoredAnswer {
  status: number;
  response: string;
}

/**
 * The request behind an Idempotency-Key (undefined without one). `kind` and `fingerprint` identify
 * the request: the same key with another kind, session or fingerprint is a different request.
 */
export function idempotentRequest(
  key: string | undefined,
  request: { tenant: string; sessionId: string; kind: string; fingerprint: Json },
): IdempotentRequest | undefined {
  if (key === undefined) return undefined;
  const requestHash = createHash('sha256').update(canonicalJson([request.kind, request.sessionId, request.fingerprint])).digest();
  return { tenant: request.tenant, sessionId: request.sessionId, key, requestHash };
}

/**
 * The stored first answer when this request was already answered within the last `ttlSeconds`,
 * else undefined; a 422 when its key was used with a different request in that window. A record
 * past the window is deleted here, with the head row locked: the key is free again and this
 * request is a new one, whose answer takes its place. Without a head row there is no record: a
 * purge removes a session's records with it.
 */
export async function firstAnswer(
  db: Queryable,
  request: IdempotentRequest | undefined,
  head: SessionHead | undefined,
  expiry: { now: DbInstant; ttlSeconds: number },
): Promise<StoredAnswer | undefined> {
  if (!request || !head) return undefined;
  const record = await readIdempotencyRecord(db, request.tenant, request.sessionId, request.key, expiry);
  if (!record) return undefined;
  if (record.expired) {
    await deleteIdempotencyRecord(db, request.tenant, request.sessionId, request.key);
    return undefined;
  }
  if (!record.requestHash.equals(request.requestHash)) {
    throw new UnprocessableError('this Idempotency-Key was already used with a different request');
  }
  return { status: record.status, response: record.response };
}

/**
 * firstAnswer on a record already read (readIdempotencyRecordStatement, with the head row locked):
 * the stored first answer, a 422, or undefined; an expired record's DELETE is added to `statements`
 * (to be run before the new record's INSERT, in the same transaction).
 */
export function answerFromRecord(
  request: IdempotentRequest | undefined,
  head: SessionHead | undefined,
  record: (IdempotencyRecord & { expired: boolean }) | undefined,
  statements: Statement[],
): StoredAnswer | undefined {
  if (!request || !head || !record) return undefined;
  if (record.expired) {
    statements.push(deleteIdempotencyRecordStatement(request.tenant, request.sessionId, request.key));
    return undefined;
  }
  if (!record.requestHash.equals(request.requestHash)) {
    throw new UnprocessableError('this Idempotency-Key was already used with a different request');
  }
  return { status: record.status, response: record.response };
}

/** recordAnswer as statements (none without an Idempotency-Key), to be sent with the write's COMMIT. */
export function recordStatements(request: IdempotentRequest | undefined, answer: StoredAnswer, now: DbInstant): Statement[] {
  return request ? [writeIdempotencyRecordStatement({ ...request, ...answer, createdAt: now })] : [];
}

/** Stores the answer to a keyed request, in the transaction that wrote what it answers. */
export async function recordAnswer(db: Queryable, request: IdempotentRequest | undefined, answer: StoredAnswer, now: DbInstant): Promise<void> {
  if (!request) return;
  await writeIdempotencyRecord(db, { ...request, ...answer, createdAt: now });
}

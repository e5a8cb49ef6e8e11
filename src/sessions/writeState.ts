import { createHash } from 'node:crypto';
import type { Operation } from 'fast-json-patch';
import { chainHash, GENESIS_HASH } from '../core/chain.js';
import { decideStorage } from '../core/checkpointPolicy.js';
import { diff } from '../core/diff.js';
import { canonicalJson, digestState, type Json } from '../core/json.js';
import { laterInstant } from '../core/time.js';
import { isDuplicateKey, RetryTransaction } from '../db/errors.js';
import type { Connection } from '../db/pool.js';
import { withTransaction } from '../db/transaction.js';
import { ConflictError, GoneError, NotFoundError, PreconditionFailedError, UnprocessableError } from '../errors.js';
import { appendEvent, type EventKind } from '../store/appendEvent.js';
import { encodeJson } from '../store/codec.js';
import { readIdempotencyRecord, writeIdempotencyRecord } from '../store/idempotencyRecords.js';
import { lockSessionHead, type SessionHead } from '../store/readSessionHead.js';
import { writeCheckpoint } from '../store/writeCheckpoint.js';
import { advanceSessionHead, insertSessionHead, type SessionHeadWrite } from '../store/writeSessionHead.js';
import type { StoreContext } from './context.js';
import { rebuildState } from './rebuildState.js';

/** Preconditions and options common to every write (PUT, PATCH, restore, fork). */
export interface WriteConditions {
  /** If-Match: the head must be one of these versions ('*': the session must exist). */
  ifMatch?: ReadonlySet<number> | '*' | undefined;
  /** If-None-Match: * — create only. */
  createOnly?: boolean | undefined;
  idempotencyKey?: string | undefined;
  message?: string | undefined;
  author?: string | undefined;
}

export interface WriteOutcome {
  sessionId: string;
  version: number;
  createdAt: string;
  changed: boolean;
  kind: EventKind;
  ops: number;
  patchBytes: number;
  stateBytes: number;
  stateHash: string;
  restoredFrom?: number;
  forkedFrom?: { sessionId: string; version: number };
  /** True when this answer is the stored first answer to an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

/** What a write computes from the head (undefined for a session being created). */
export interface NextState {
  state: Json;
  restoredFrom?: number;
  forkedFrom?: { sessionId: string; version: number };
}

export interface WriteSpec {
  tenant: string;
  sessionId: string;
  kind: EventKind;
  conditions: WriteConditions;
  /** What identifies this request for Idempotency-Key reuse checks. */
  fingerprint: Json;
  /** 'existing': 404 on an unknown session. 'new': 409 when the session exists (fork targets). */
  requires: 'existing' | 'new' | 'either';
  next: (connection: Connection, head: SessionHead | undefined, headState: Json | undefined) => Promise<NextState>;
}

/**
 * The one write path. In one transaction: lock the head row; answer a repeated Idempotency-Key
 * from its record; check tombstone and preconditions; get the head state (cache, else replay);
 * compute the next state; append the event (a patch, a patch and a checkpoint, or the whole state)
 * and move the head. A state equal to the head writes no version.
 */
export async function writeState(ctx: StoreContext, spec: WriteSpec): Promise<WriteOutcome> {
  const { tenant, sessionId, conditions } = spec;
  const requestHash = createHash('sha256').update(canonicalJson([spec.kind, sessionId, spec.fingerprint])).digest();
  let written: { version: number; stateHash: Buffer; state: Json; bytes: number } | undefined;

  const outcome = await withTransaction(
    ctx.pool,
    async (connection) => {
      written = undefined;
      const { head, now } = await lockSessionHead(connection, tenant, sessionId);

      if (conditions.idempotencyKey !== undefined && head) {
        const record = await readIdempotencyRecord(connection, tenant, sessionId, conditions.idempotencyKey);
        if (record) {
          if (!record.requestHash.equals(requestHash)) {
            throw new UnprocessableError('this Idempotency-Key was already used with a different request');
          }
          return { ...(JSON.parse(record.response) as WriteOutcome), replayed: true };
        }
      }
      checkPreconditions(spec, head);

      const headState = head ? await headStateOf(ctx, connection, head) : undefined;
      const next = await spec.next(connection, head, headState);
      const digest = digestState(next.state);

      let result: WriteOutcome;
      if (head && digest.hash.equals(head.headStateHash)) {
        result = {
          sessionId,
          version: head.headVersion,
          createdAt: head.updatedAt,
          changed: false,
          kind: spec.kind,
          ops: 0,
          patchBytes: 0,
          stateBytes: head.headStateBytes,
          stateHash: head.headStateHash.toString('hex'),
          replayed: false,
        };
      } else {
        const appended = await appendVersion(
          ctx,
          connection,
          { tenant, sessionId, kind: spec.kind, message: conditions.message, author: conditions.author },
          head,
          headState,
          next,
          digest,
          now,
        );
        result = appended.outcome;
        written = { version: result.version, stateHash: digest.hash, state: next.state, bytes: digest.bytes };
      }
      if (conditions.idempotencyKey !== undefined) {
        await writeIdempotencyRecord(
          connection,
          tenant,
          sessionId,
          conditions.idempotencyKey,
          { requestHash, status: result.changed ? 201 : 200, response: JSON.stringify(result) },
          now,
        );
      }
      return result;
    },
    ctx.transactions,
  );
  if (written) ctx.cache.set(tenant, sessionId, written);
  return outcome;
}

function checkPreconditions(spec: WriteSpec, head: SessionHead | undefined): void {
  const { sessionId, conditions } = spec;
  // A fork target that exists is a conflict even when deleted: its id is not free.
  if (spec.requires === 'new' && head) throw new ConflictError(`session ${sessionId} already exists${head.deletedAt ? ' (deleted)' : ''}`);
  if (head?.deletedAt) throw new GoneError(`session ${sessionId} was deleted`);
  if (spec.requires === 'existing' && !head) throw new NotFoundError(`session ${sessionId} does not exist`);
  const current = { current_version: head ? head.headVersion : null };
  if (conditions.createOnly && head) {
    throw new PreconditionFailedError(`session ${sessionId} already exists (If-None-Match: *)`, current);
  }
  if (conditions.ifMatch !== undefined) {
    if (!head) throw new PreconditionFailedError(`session ${sessionId} does not exist (If-Match)`, current);
    if (conditions.ifMatch !== '*' && !conditions.ifMatch.has(head.headVersion)) {
      throw new PreconditionFailedError(ifMatchFailure(sessionId, head.headVersion, conditions.ifMatch), current);
    }
  }
}

/** Why If-Match did not hold on a session at `version`. */
export function ifMatchFailure(sessionId: string, version: number, named: ReadonlySet<number>): string {
  const tags = named.size > 0 ? [...named].map((v) => `"${v}"`).join(', ') : 'no strong entity tag of a version';
  return `session ${sessionId} is at version ${version} (ETag "${version}"); If-Match names ${tags}`;
}

/** The head state: from this process's cache when it is provably current, else replayed. */
export async function headStateOf(ctx: StoreContext, connection: Connection, head: SessionHead): Promise<Json> {
  const cached = ctx.cache.get(head.tenant, head.sessionId, head.headVersion, head.headStateHash);
  if (cached !== undefined) return cached;
  const rebuilt = await rebuildState(connection, head.tenant, head.sessionId, head.headVersion);
  ctx.cache.set(head.tenant, head.sessionId, {
    version: rebuilt.version,
    stateHash: rebuilt.stateHash,
    state: rebuilt.state,
    bytes: head.headStateBytes,
  });
  return rebuilt.state;
}

export interface AppendSpec {
  tenant: string;
  sessionId: string;
  kind: EventKind;
  message: string | undefined;
  author: string | undefined;
}

/**
 * Appends one version after `head` (undefined: the session's first) inside the caller's
 * transaction, which holds the head row lock: the event, a checkpoint when the policy says so,
 * and the moved head. Returns the answer and the new head, so a caller can append again.
 */
export async function appendVersion(
  ctx: StoreContext,
  connection: Connection,
  spec: AppendSpec,
  head: SessionHead | undefined,
  headState: Json | undefined,
  next: NextState,
  digest: { hash: Buffer; bytes: number },
  now: string,
): Promise<{ outcome: WriteOutcome; head: SessionHead }> {
  const { tenant, sessionId } = spec;
  const version = head ? head.headVersion + 1 : 1;
  const createdAt = head ? laterInstant(now, head.updatedAt) : now;
  const patch: Operation[] = head ? diff(headState!, next.state) : [{ op: 'add', path: '', value: next.state }];
  const patchText = JSON.stringify(patch);
  const patchBytes = Buffer.byteLength(patchText);
  const decision = head
    ? decideStorage(ctx.policy, {
        eventsSinceCheckpoint: version - head.checkpointVersion,
        patchBytesSinceCheckpoint: head.patchBytesSinceCheckpoint + patchBytes,
        patchBytes,
        stateBytes: digest.bytes,
      })
    : 'full';
  const writesCheckpoint = decision !== 'patch';
  const source = next.forkedFrom ?? (next.restoredFrom !== undefined ? { sessionId, version: next.restoredFrom } : undefined);
  let headWrite: SessionHeadWrite;

  try {
    await appendEvent(connection, {
      tenant,
      sessionId,
      version,
      kind: spec.kind,
      patch: decision === 'full' ? undefined : await encodeJson(patchText),
      ops: patch.length,
      patchBytes,
      stateBytes: digest.bytes,
      stateHash: digest.hash,
      prevHash: head ? head.headChainHash : GENESIS_HASH,
      createdAt,
      message: spec.message,
      author: spec.author,
      sourceSessionId: source?.sessionId,
      sourceVersion: source?.version,
    });
    if (writesCheckpoint) {
      await writeCheckpoint(connection, tenant, sessionId, version, await encodeJson(JSON.stringify(next.state)));
    }
    headWrite = {
      tenant,
      sessionId,
      headVersion: version,
      headStateHash: digest.hash,
      headChainHash: chainHash(head ? head.headChainHash : GENESIS_HASH, {
        version,
        kind: spec.kind,
        createdAt,
        stateHash: digest.hash,
      }),
      headStateBytes: digest.bytes,
      checkpointVersion: writesCheckpoint ? version : head!.checkpointVersion,
      patchBytesSinceCheckpoint: writesCheckpoint ? 0 : head!.patchBytesSinceCheckpoint + patchBytes,
      updatedAt: createdAt,
    };
    if (head) await advanceSessionHead(connection, headWrite, head.headVersion);
    else await insertSessionHead(connection, headWrite);
  } catch (error) {
    // Two first writes of one session raced: the loser runs again and finds the winner's head.
    if (!head && isDuplicateKey(error)) throw new RetryTransaction();
    throw error;
  }

  const outcome: WriteOutcome = {
    sessionId,
    version,
    createdAt,
    changed: true,
    kind: spec.kind,
    ops: patch.length,
    patchBytes,
    stateBytes: digest.bytes,
    stateHash: digest.hash.toString('hex'),
    ...(next.restoredFrom !== undefined ? { restoredFrom: next.restoredFrom } : {}),
    ...(next.forkedFrom ? { forkedFrom: next.forkedFrom } : {}),
    replayed: false,
  };
  const newHead: SessionHead = {
    ...headWrite,
    createdAt: head ? head.createdAt : createdAt,
    deletedAt: null,
  };
  return { outcome, head: newHead };
}

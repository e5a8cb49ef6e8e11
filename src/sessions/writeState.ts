import { createHash } from 'node:crypto';
import { chainHash, GENESIS_HASH } from '../core/chain.js';
import { decideStorage } from '../core/checkpointPolicy.js';
import { canonicalJson, type Json } from '../core/json.js';
import { wholeStatePlan, type PlannedVersion, type StateText } from '../core/stateTasks.js';
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
import { headState } from './load.js';
import { runStateTask } from './stateWork.js';

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

/** What a write asks for, given the head: a whole state, or a patch to apply to the head state. */
export interface NextState {
  next: { state: StateText } | { patchText: string };
  restoredFrom?: number;
  forkedFrom?: { sessionId: string; version: number };
}

export interface WriteSpec {
  tenant: string;
  sessionId: string;
  kind: EventKind;
  conditions: WriteConditions;
  /** What identifies this request for Idempotency-Key reuse checks (hashes, not whole states). */
  fingerprint: Json;
  /** 'existing': 404 on an unknown session. 'new': 409 when the session exists (fork targets). */
  requires: 'existing' | 'new' | 'either';
  next: (connection: Connection, head: SessionHead | undefined) => Promise<NextState>;
}

/**
 * The one write path. In one transaction: lock the head row; answer a repeated Idempotency-Key
 * from its record; check tombstone and preconditions; get the head state (cache, else replay);
 * plan the next version (off the event loop when large: apply, diff, hash, and prove the stored
 * patch replays to the new state); append the event (a patch, a patch and a checkpoint, or the
 * whole state) and move the head. A state equal to the head writes no version.
 */
export async function writeState(ctx: StoreContext, spec: WriteSpec): Promise<WriteOutcome> {
  const { tenant, sessionId, conditions } = spec;
  const requestHash = createHash('sha256').update(canonicalJson([spec.kind, sessionId, spec.fingerprint])).digest();
  let written: { version: number; stateHash: Buffer; state: StateText } | undefined;

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

      const next = await spec.next(connection, head);
      const plan = await planVersion(ctx, connection, head, next);

      let result: WriteOutcome;
      if (plan) {
        const appended = await appendVersion(
          ctx,
          connection,
          { tenant, sessionId, kind: spec.kind, message: conditions.message, author: conditions.author },
          head,
          { ...next, plan },
          now,
        );
        result = appended.outcome;
        written = { version: result.version, stateHash: appended.head.headStateHash, state: stateOf(plan) };
      } else {
        // No plan: the state equals the head's, so there is a head.
        const current = head!;
        result = {
          sessionId,
          version: current.headVersion,
          createdAt: current.updatedAt,
          changed: false,
          kind: spec.kind,
          ops: 0,
          patchBytes: 0,
          stateBytes: current.headStateBytes,
          stateHash: current.headStateHash.toString('hex'),
          replayed: false,
        };
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

/**
 * The version to append after `head`, or undefined when the state would equal the head. The
 * first version of a session is its whole state, stored as one `add` of the root.
 */
export async function planVersion(
  ctx: StoreContext,
  connection: Connection,
  head: SessionHead | undefined,
  next: NextState,
): Promise<PlannedVersion | undefined> {
  if (!head) {
    if (!('state' in next.next)) throw new Error('a session can only be created from a whole state');
    return wholeStatePlan(next.next.state, 'add');
  }
  // Saving the state the session already has (a Streamlit rerun) needs no head state at all.
  if ('state' in next.next && next.next.state.hash === head.headStateHash.toString('hex')) return undefined;
  const current = await headState(ctx, connection, head);
  const size = current.text.length + ('state' in next.next ? next.next.state.text.length : next.next.patchText.length);
  const input = { head: current, next: next.next, limits: ctx.limits, fullStateRatio: ctx.policy.fullStateRatio };
  const plan = await runStateTask(ctx.work, 'planWrite', input, size, {
    current_version: head.headVersion,
  });
  return plan.unchanged ? undefined : plan;
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
  next: Omit<NextState, 'next'> & { plan: PlannedVersion },
  now: string,
): Promise<{ outcome: WriteOutcome; head: SessionHead }> {
  const { tenant, sessionId } = spec;
  const { plan } = next;
  const version = head ? head.headVersion + 1 : 1;
  const createdAt = head ? laterInstant(now, head.updatedAt) : now;
  const { patchBytes } = plan;
  const digest = { hash: Buffer.from(plan.hash, 'hex'), bytes: plan.bytes };
  const decision = head && plan.patchText !== undefined
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
      patch: decision === 'full' || plan.patchText === undefined ? undefined : await encodeJson(plan.patchText),
      ops: plan.ops,
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
      await writeCheckpoint(connection, tenant, sessionId, version, await encodeJson(plan.text));
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
    ops: plan.ops,
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

/** The state of a planned version, without its patch (what the state cache keeps). */
export function stateOf(plan: PlannedVersion): StateText {
  return { text: plan.text, hash: plan.hash, bytes: plan.bytes };
}

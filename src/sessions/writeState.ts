import type { JsonObject } from '../core/json.js';
import type { PlannedVersion } from '../core/stateTasks.js';
import type { Connection } from '../db/pool.js';
import type { Statement } from '../db/batch.js';
import { isDuplicateKey, RetryTransaction } from '../db/errors.js';
import { withBatchedTransaction } from '../db/transaction.js';
import { countWrite } from '../metrics/metrics.js';
import type { EventKind, Labels } from '../store/eventMetadata.js';
import { lockSessionHeadStatements, toLockedHead } from '../store/lockSessionHead.js';
import { readIdempotencyRecordStatement, toIdempotencyRecord } from '../store/readIdempotencyRecord.js';
import type { SessionHead } from '../store/sessionHead.js';
import { cachedVersion, versionStatements } from './appendVersion.js';
import type { StoreContext } from './context.js';
import { expectSession, type IfMatch } from './expectedVersion.js';
import { answerFromRecord, idempotentRequest, recordStatements } from './idempotency.js';
import { planEarly } from './earlyPlan.js';
import { planVersion, type RequestedState } from './planVersion.js';
import type { CachedState } from './stateCache.js';
import { replayedWriteAnswer, writeAnswer, type WriteAnswer, type WriteOutcome } from './writeAnswer.js';

/** Preconditions and options common to every write (PUT, PATCH, restore, fork). */
export interface WriteConditions {
  ifMatch?: IfMatch | undefined;
  /** If-None-Match: * — create only. */
  createOnly?: boolean | undefined;
  idempotencyKey?: string | undefined;
  message?: string | undefined;
  author?: string | undefined;
  /** Labels of the new version (PUT and PATCH). */
  labels?: Labels | undefined;
}

/** What a write asks for, given the head, and where its state came from (restore, fork). */
export interface NextState {
  next: RequestedState;
  restoredFrom?: number;
  forkedFrom?: { sessionId: string; version: number };
}

export interface WriteSpec {
  tenant: string;
  sessionId: string;
  kind: EventKind;
  conditions: WriteConditions;
  /** What identifies this request for Idempotency-Key reuse checks besides its message and author (hashes, not whole states). */
  fingerprint: JsonObject;
  /** 'existing': 404 on an unknown session. 'new': 409 when the session exists (fork targets). */
  requires: 'existing' | 'new' | 'either';
  next: (connection: Connection, head: SessionHead | undefined) => Promise<NextState>;
  /** What `next` gives, when it needs nothing from the database (PUT, PATCH): then planned before the transaction (earlyPlan.ts). */
  requested?: RequestedState;
}

/**
 * The write path of PUT, PATCH, restore and fork. In one transaction: lock the head row; answer a
 * repeated Idempotency-Key from its record (within IDEMPOTENCY_TTL_SECONDS); check the preconditions; plan the next version from
 * the head state; append it and record the answer. A state equal to the head writes no version.
 * The state cache learns the new head once the transaction has committed.
 *
 * Two round trips when the plan needs nothing more from the database (bench/PROFILE.md: a small
 * save's time was its six statements, each a round trip): START TRANSACTION, the locking read, the
 * clock and the Idempotency-Key's record in the first; the event, checkpoint, head and record rows
 * with COMMIT in the second. The answer is given only once that second one has returned, so after
 * the commit, and a statement that fails stops the batch before its COMMIT (src/db/batch.ts).
 */
export async function writeState(ctx: StoreContext, spec: WriteSpec): Promise<WriteAnswer> {
  const { tenant, sessionId, kind, conditions } = spec;
  const fingerprint = { ...spec.fingerprint, message: conditions.message ?? null, author: conditions.author ?? null,
    // Only when given: records written before labels existed keep matching their retries.
    ...(conditions.labels !== undefined ? { labels: conditions.labels } : {}) };
  const request = idempotentRequest(conditions.idempotencyKey, { tenant, sessionId, kind, fingerprint });
  let written: CachedState | undefined;
  const early = spec.requested ? await planEarly(ctx, tenant, sessionId, spec.requested) : undefined;

  const outcome = await withBatchedTransaction(
    ctx.pool,
    async (transaction) => {
      written = undefined;
      const { connection } = transaction;
      const first = await transaction.begin([
        ...lockSessionHeadStatements(tenant, sessionId),
        ...(request ? [readIdempotencyRecordStatement(tenant, sessionId, request.key, ctx.idempotencyTtlSeconds)] : []),
      ]);
      const { head, now } = toLockedHead(first);
      const record = request ? toIdempotencyRecord(first[2]) : undefined;
      const statements: Statement[] = [];
      const replay = answerFromRecord(request, head, record, statements);
      if (replay !== undefined) {
        await transaction.commit(statements);
        return replayedWriteAnswer(sessionId, replay);
      }
      expectSession(sessionId, head, { exists: spec.requires, ifMatch: conditions.ifMatch, createOnly: conditions.createOnly });

      const next = await spec.next(connection, head);
      const made = early?.planFor(head);
      const plan = made ? made.plan : await planVersion(ctx, connection, head, next.next);
      let result: WriteAnswer;
      if (plan) {
        const source = next.forkedFrom ?? (next.restoredFrom !== undefined ? { sessionId, version: next.restoredFrom } : undefined);
        const appended = await versionStatements(ctx, { tenant, sessionId, kind, head, plan, now, message: conditions.message, author: conditions.author, labels: conditions.labels, source });
        statements.push(...appended.statements);
        written = cachedVersion(appended.head, plan);
        result = writeAnswer(outcomeOf(kind, appended.head, { plan, next }));
      } else {
        // No plan: the state equals the head's, so there is a head.
        result = writeAnswer(outcomeOf(kind, head!, undefined));
      }
      statements.push(...recordStatements(request, { status: result.status, response: result.body }, now));
      try {
        await transaction.commit(statements);
      } catch (error) {
        // Another writer got there first: two first writes of one session raced, or (on Galera, where
        // the head row's lock does not reach other nodes) a write through another node took this
        // version, or a retry with the same Idempotency-Key recorded its answer. The loser runs again
        // and finds the winner's head, or its recorded answer.
        if (isDuplicateKey(error)) throw new RetryTransaction();
        throw error;
      }
      return result;
    },
    ctx.transactions,
  );
  if (written) ctx.cache.set(tenant, sessionId, written);
  countWrite(kind, outcome);
  return outcome;
}

/** The answer to a write that left the session at `head`: a version it appended, or none (unchanged). */
function outcomeOf(kind: EventKind, head: SessionHead, appended: { plan: PlannedVersion; next: NextState } | undefined): WriteOutcome {
  const next = appended?.next;
  return {
    sessionId: head.sessionId,
    version: head.headVersion,
    createdAt: head.updatedAt,
    changed: appended !== undefined,
    kind,
    ops: appended ? appended.plan.ops : 0,
    patchBytes: appended ? appended.plan.patchBytes : 0,
    stateBytes: head.headStateBytes,
    stateHash: head.headStateHash.toString('hex'),
    ...(next?.restoredFrom !== undefined ? { restoredFrom: next.restoredFrom } : {}),
    ...(next?.forkedFrom ? { forkedFrom: next.forkedFrom } : {}),
  };
}

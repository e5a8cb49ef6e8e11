import type { JsonObject } from '../core/json.js';
import type { PlannedVersion } from '../core/stateTasks.js';
import type { Connection } from '../db/pool.js';
import { withTransaction } from '../db/transaction.js';
import type { EventKind, Labels } from '../store/eventMetadata.js';
import { lockSessionHead } from '../store/lockSessionHead.js';
import type { SessionHead } from '../store/sessionHead.js';
import { appendVersion, cachedVersion } from './appendVersion.js';
import type { StoreContext } from './context.js';
import { expectSession, type IfMatch } from './expectedVersion.js';
import { firstAnswer, idempotentRequest, recordAnswer } from './idempotency.js';
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
 */
export async function writeState(ctx: StoreContext, spec: WriteSpec): Promise<WriteAnswer> {
  const { tenant, sessionId, kind, conditions } = spec;
  const fingerprint = { ...spec.fingerprint, message: conditions.message ?? null, author: conditions.author ?? null,
    // Only when given: records written before labels existed keep matching their retries.
    ...(conditions.labels !== undefined ? { labels: conditions.labels } : {}) };
  const request = idempotentRequest(conditions.idempotencyKey, { tenant, sessionId, kind, fingerprint });
  let written: CachedState | undefined;
  const early = spec.requested ? await planEarly(ctx, tenant, sessionId, spec.requested) : undefined;

  const outcome = await withTransaction(
    ctx.pool,
    async (connection) => {
      written = undefined;
      const { head, now } = await lockSessionHead(connection, tenant, sessionId);
      const first = await firstAnswer(connection, request, head, { now, ttlSeconds: ctx.idempotencyTtlSeconds });
      if (first !== undefined) return replayedWriteAnswer(sessionId, first);
      expectSession(sessionId, head, { exists: spec.requires, ifMatch: conditions.ifMatch, createOnly: conditions.createOnly });

      const next = await spec.next(connection, head);
      const made = early?.planFor(head);
      const plan = made ? made.plan : await planVersion(ctx, connection, head, next.next);
      let result: WriteAnswer;
      if (plan) {
        const source = next.forkedFrom ?? (next.restoredFrom !== undefined ? { sessionId, version: next.restoredFrom } : undefined);
        const appended = await appendVersion(ctx, connection, { tenant, sessionId, kind, head, plan, now, message: conditions.message, author: conditions.author, labels: conditions.labels, source });
        written = cachedVersion(appended, plan);
        result = writeAnswer(outcomeOf(kind, appended, { plan, next }));
      } else {
        // No plan: the state equals the head's, so there is a head.
        result = writeAnswer(outcomeOf(kind, head!, undefined));
      }
      await recordAnswer(connection, request, { status: result.status, response: result.body }, now);
      return result;
    },
    ctx.transactions,
  );
  if (written) ctx.cache.set(tenant, sessionId, written);
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

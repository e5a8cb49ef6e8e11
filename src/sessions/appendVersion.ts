import { chainHash, GENESIS_HASH } from '../core/chain.js';
import { decideStorage } from '../core/checkpointPolicy.js';
import type { PlannedVersion } from '../core/stateTasks.js';
import { laterInstant } from '../core/time.js';
import { isDuplicateKey, RetryTransaction } from '../db/errors.js';
import type { Connection } from '../db/pool.js';
import type mysql from 'mysql2/promise';
import type { Statement } from '../db/batch.js';
import { advanceSessionHeadStatement } from '../store/advanceSessionHead.js';
import { appendEventStatement } from '../store/appendEvent.js';
import { encodeJson } from '../store/codec.js';
import type { EventKind, Labels } from '../store/eventMetadata.js';
import { insertSessionHeadStatement } from '../store/insertSessionHead.js';
import type { SessionHead, SessionHeadWrite } from '../store/sessionHead.js';
import { writeCheckpointStatement } from '../store/writeCheckpoint.js';
import type { StoreContext } from './context.js';
import type { CachedState } from './stateCache.js';

export interface VersionToAppend {
  tenant: string;
  sessionId: string;
  kind: EventKind;
  /** The head it follows, locked by the caller's transaction; undefined for a session's first version. */
  head: SessionHead | undefined;
  plan: PlannedVersion;
  /** The database clock, read with the lock. */
  now: string;
  message?: string | undefined;
  author?: string | undefined;
  labels?: Labels | undefined;
  /** Where its state came from: the version a restore brings back, or a fork's source. */
  source?: { sessionId: string; version: number } | undefined;
}

/**
 * Appends one version inside the caller's transaction: the event (a patch, or nothing when the
 * version is stored whole), a checkpoint when the policy says so, and the moved head. Returns the
 * new head, so a caller can append again.
 */
export async function appendVersion(ctx: StoreContext, connection: Connection, next: VersionToAppend): Promise<SessionHead> {
  const { head, statements } = await versionStatements(ctx, next);
  try {
    for (const { sql, values } of statements) await connection.execute(sql, values as mysql.ExecuteValues[]);
  } catch (error) {
    // Two first writes of one session raced: the loser runs again and finds the winner's head.
    if (!next.head && isDuplicateKey(error)) throw new RetryTransaction();
    throw error;
  }
  return head;
}

/**
 * The statements that append one version (the event, a checkpoint when the policy says so, the
 * moved head), to be run in the caller's transaction in any order (src/db/batch.ts sends them
 * with its COMMIT), and the head they leave. On a session's first version they fail with a
 * duplicate key (1062) when another writer created it first: see appendVersion.
 */
export async function versionStatements(ctx: StoreContext, next: VersionToAppend): Promise<{ head: SessionHead; statements: Statement[] }> {
  const { tenant, sessionId, head, plan } = next;
  const version = head ? head.headVersion + 1 : 1;
  const createdAt = head ? laterInstant(next.now, head.updatedAt) : next.now;
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
  const statements: Statement[] = [
    appendEventStatement({
      tenant,
      sessionId,
      version,
      kind: next.kind,
      patch: decision === 'full' || plan.patchText === undefined ? undefined : await encodeJson(plan.patchText),
      ops: plan.ops,
      patchBytes,
      stateBytes: digest.bytes,
      stateHash: digest.hash,
      prevHash: head ? head.headChainHash : GENESIS_HASH,
      createdAt,
      message: next.message,
      author: next.author,
      sourceSessionId: next.source?.sessionId,
      sourceVersion: next.source?.version,
      labels: next.labels,
    }),
  ];
  if (writesCheckpoint) {
    statements.push(writeCheckpointStatement({ tenant, sessionId, version, state: await encodeJson(plan.text) }));
  }
  const headWrite: SessionHeadWrite = {
    tenant,
    sessionId,
    headVersion: version,
    headStateHash: digest.hash,
    headChainHash: chainHash(head ? head.headChainHash : GENESIS_HASH, {
      version,
      kind: next.kind,
      createdAt,
      stateHash: digest.hash,
    }),
    headStateBytes: digest.bytes,
    checkpointVersion: writesCheckpoint ? version : head!.checkpointVersion,
    patchBytesSinceCheckpoint: writesCheckpoint ? 0 : head!.patchBytesSinceCheckpoint + patchBytes,
    updatedAt: createdAt,
  };
  statements.push(head ? advanceSessionHeadStatement(headWrite, head.headVersion) : insertSessionHeadStatement(headWrite));
  return { head: { ...headWrite, createdAt: head ? head.createdAt : createdAt, deletedAt: null }, statements };
}

/** What the state cache keeps of a version just appended: its state, without its patch. */
export function cachedVersion(head: SessionHead, plan: PlannedVersion): CachedState {
  return { version: head.headVersion, stateHash: head.headStateHash, state: { text: plan.text, hash: plan.hash, bytes: plan.bytes } };
}

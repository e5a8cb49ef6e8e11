import { setTimeout as pause } from 'node:timers/promises';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Pool } from '../db/pool.js';
import { withTransaction, type TransactionOptions } from '../db/transaction.js';
import { IntegrityError } from '../errors.js';
import { rebuildState } from '../sessions/rebuildState.js';
import { encodeJson } from '../store/codec.js';
import { releaseCompactionLease, renewCompactionLease, takeCompactionLease } from '../store/compactionLeases.js';
import { deleteHistoryBefore, measureHistoryBefore } from '../store/deleteHistoryBefore.js';
import { findFirstVersionWithinDays } from '../store/findFirstVersionAfter.js';
import { lockSessionHead } from '../store/lockSessionHead.js';
import { readCheckpointRange } from '../store/readCheckpointRange.js';
import { readEvent } from '../store/readEvent.js';
import { readSessionHead } from '../store/readSessionHead.js';
import type { RetentionRules } from '../store/retentionPolicies.js';
import { dropBasePatch, readSessionBase, writeSessionBase } from '../store/sessionBase.js';
import { writeCheckpoint } from '../store/writeCheckpoint.js';
import type { TaskRunner } from '../work/taskRunner.js';
import { firstKeptVersion, keepsEverything } from './policy.js';

export interface CompactionContext {
  pool: Pool;
  work: TaskRunner;
  transactions: TransactionOptions;
}

export interface CompactionOptions {
  /** The most rows one DELETE removes (COMPACTION_BATCH_ROWS). */
  batchRows: number;
  /** How long a lease lasts without renewal; renewed at every batch. */
  leaseSeconds?: number;
  /** Between two batches, so that saves and other sessions get the database between them. */
  pauseMs?: number;
  /** Who takes the lease; one per process by default. */
  holder?: string;
  /** Report what would be removed, remove nothing (and take no lease). */
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface CompactionResult {
  tenant: string;
  sessionId: string;
  headVersion: number;
  /** The first version before, and after (what it would be, in a dry run). */
  firstVersionBefore: number;
  firstVersion: number;
  eventsRemoved: number;
  checkpointsRemoved: number;
  /** Stored bytes (patches and checkpoint bodies) removed, less the base's new checkpoint. */
  bytesReclaimed: number;
  /** Why nothing was done: the session is gone, or another process holds its compaction lease. */
  skipped?: 'missing' | 'busy';
  dryRun: boolean;
}

/** This process's name in compaction leases. */
export const PROCESS_HOLDER = `${hostname().slice(0, 60)}:${process.pid}:${randomBytes(4).toString('hex')}`;

/**
 * Applies a retention policy to one session: its oldest kept version becomes its base (a
 * checkpoint holds its full state, session_bases its version and the chain link into it), then
 * every event and checkpoint below the base is deleted, `batchRows` at a time. Versions are not
 * renumbered. Saves go on meanwhile: establishing the base holds the head row in share mode only
 * for two short writes, and the deletes touch only rows below the base, which no save or load of a
 * kept version reads. One compaction per session at a time, across processes: a lease row taken
 * by a conditional write (compactionLeases.ts); a session whose lease another holds is skipped.
 * An interrupted compaction leaves a valid base; the next one deletes what is left below it.
 */
export async function compactSession(
  ctx: CompactionContext,
  tenant: string,
  sessionId: string,
  rules: RetentionRules,
  options: CompactionOptions,
): Promise<CompactionResult> {
  const leaseSeconds = options.leaseSeconds ?? 60;
  const holder = options.holder ?? PROCESS_HOLDER;
  const dryRun = options.dryRun ?? false;
  const result: CompactionResult = {
    tenant,
    sessionId,
    headVersion: 0,
    firstVersionBefore: 1,
    firstVersion: 1,
    eventsRemoved: 0,
    checkpointsRemoved: 0,
    bytesReclaimed: 0,
    dryRun,
  };
  if (!dryRun && !(await takeCompactionLease(ctx.pool, tenant, sessionId, holder, leaseSeconds))) return { ...result, skipped: 'busy' };
  try {
    const head = await readSessionHead(ctx.pool, tenant, sessionId);
    if (!head || head.deletedAt) return { ...result, skipped: 'missing' };
    const before = (await readSessionBase(ctx.pool, tenant, sessionId))?.baseVersion ?? 1;
    const withinDays = rules.keepDays === undefined ? undefined : await findFirstVersionWithinDays(ctx.pool, tenant, sessionId, rules.keepDays);
    const target = keepsEverything(rules) ? before : Math.max(before, firstKeptVersion(rules, head.headVersion, withinDays));
    Object.assign(result, { headVersion: head.headVersion, firstVersionBefore: before, firstVersion: target });

    const removed = await measureHistoryBefore(ctx.pool, tenant, sessionId, target);
    result.bytesReclaimed = removed.bytes;
    if (dryRun) return { ...result, eventsRemoved: removed.events, checkpointsRemoved: removed.checkpoints };

    if (target > before) {
      // Rebuilding the base's state can take a while: the lease must still be this holder's
      // before anything is written.
      const stillHeld = () => renewCompactionLease(ctx.pool, tenant, sessionId, holder, leaseSeconds);
      const added = await establishBase(ctx, tenant, sessionId, target, stillHeld);
      if (added === undefined) return { ...result, firstVersion: before, bytesReclaimed: 0, skipped: 'busy' };
      result.bytesReclaimed -= added;
    }
    for (const table of ['events', 'checkpoints'] as const) {
      for (;;) {
        const count = await deleteHistoryBefore(ctx.pool, table, tenant, sessionId, target, options.batchRows);
        if (table === 'events') result.eventsRemoved += count;
        else result.checkpointsRemoved += count;
        if (count < options.batchRows || options.signal?.aborted) break;
        // A lease lost (expired while this process was stalled) is another compaction's now.
        if (!(await renewCompactionLease(ctx.pool, tenant, sessionId, holder, leaseSeconds))) return result;
        if (options.pauseMs) await pause(options.pauseMs);
      }
      if (options.signal?.aborted) break;
    }
    return result;
  } finally {
    if (!dryRun) await releaseCompactionLease(ctx.pool, tenant, sessionId, holder);
  }
}

/**
 * Makes `version` the session's base: a checkpoint of its state (rebuilt and checked against its
 * hash first, outside any transaction), its event stored whole from now on (its patch applied to a
 * version that is going), and the base row, committed together. Returns the bytes this adds (the
 * checkpoint, less the patch; negative when the version had a checkpoint already).
 */
async function establishBase(
  ctx: CompactionContext,
  tenant: string,
  sessionId: string,
  version: number,
  stillHeld: () => Promise<boolean>,
): Promise<number | undefined> {
  const event = await readEvent(ctx.pool, tenant, sessionId, version);
  if (!event) throw new IntegrityError(`${tenant}/${sessionId}: version ${version}, the new base, has no event`);
  const hasCheckpoint = (await readCheckpointRange(ctx.pool, tenant, sessionId, version, version)).length > 0;
  const body = hasCheckpoint ? undefined : await encodeJson((await rebuildState(ctx.pool, ctx.work, tenant, sessionId, version)).state.text);
  if (!(await stillHeld())) return undefined;
  return withTransaction(
    ctx.pool,
    async (connection) => {
      // Shared: a purge or delete waits for this commit (and a purged session is not given rows back).
      const { head } = await lockSessionHead(connection, tenant, sessionId, 'share');
      if (!head || head.deletedAt) return 0;
      if (body) await writeCheckpoint(connection, { tenant, sessionId, version, state: body });
      const patchBytes = await dropBasePatch(connection, tenant, sessionId, version);
      await writeSessionBase(connection, tenant, sessionId, version, event.prevHash);
      return (body?.body.length ?? 0) - patchBytes;
    },
    ctx.transactions,
  );
}

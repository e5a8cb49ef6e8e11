import { digestState, type Json } from '../core/json.js';
import { laterInstant } from '../core/time.js';
import { withTransaction } from '../db/transaction.js';
import { GoneError } from '../errors.js';
import { lockSessionHead } from '../store/readSessionHead.js';
import type { StoreContext } from './context.js';
import { appendVersion, headStateOf } from './writeState.js';

/**
 * Appends a sequence of states to a session (creating it if needed) as consecutive `save`
 * versions, `batchSize` per transaction: the same events, checkpoints and hashes as that many
 * PUTs, without a commit per state. For bulk loads (and for building long histories quickly in
 * the benchmark). States equal to the one before them write nothing. Returns the head version.
 */
export async function importStates(
  ctx: StoreContext,
  tenant: string,
  sessionId: string,
  states: Iterable<Json>,
  batchSize = 1000,
): Promise<number> {
  let batch: Json[] = [];
  let headVersion = 0;
  const flush = async (): Promise<void> => {
    const pending = batch;
    batch = [];
    headVersion = await withTransaction(
      ctx.pool,
      async (connection) => {
        const locked = await lockSessionHead(connection, tenant, sessionId);
        let head = locked.head;
        if (head?.deletedAt) throw new GoneError(`session ${sessionId} was deleted`);
        let headState = head ? await headStateOf(ctx, connection, head) : undefined;
        for (const state of pending) {
          const digest = digestState(state);
          if (head && digest.hash.equals(head.headStateHash)) continue;
          const now = head ? laterInstant(locked.now, head.updatedAt) : locked.now;
          const spec = { tenant, sessionId, kind: 'save' as const, message: undefined, author: undefined };
          ({ head } = await appendVersion(ctx, connection, spec, head, headState, { state }, digest, now));
          headState = state;
        }
        return head?.headVersion ?? 0;
      },
      ctx.transactions,
    );
  };
  for (const state of states) {
    batch.push(state);
    if (batch.length >= batchSize) await flush();
  }
  if (batch.length > 0) await flush();
  return headVersion;
}

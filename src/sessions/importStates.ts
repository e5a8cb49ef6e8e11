import type { Json } from '../core/json.js';
import { withTransaction } from '../db/transaction.js';
import { lockSessionHead } from '../store/lockSessionHead.js';
import { appendVersion, cachedVersion } from './appendVersion.js';
import type { StoreContext } from './context.js';
import { expectSession } from './expectedVersion.js';
import { planVersion } from './planVersion.js';
import { runStateTask } from './stateWork.js';

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
        expectSession(sessionId, head, { exists: 'either' });
        for (const value of pending) {
          const text = JSON.stringify(value);
          const state = await runStateTask(ctx.work, 'ingestState', { text, limits: ctx.limits }, text.length);
          const plan = await planVersion(ctx, connection, head, { state });
          if (!plan) continue;
          head = await appendVersion(ctx, connection, { tenant, sessionId, kind: 'save', head, plan, now: locked.now });
          ctx.cache.set(tenant, sessionId, cachedVersion(head, plan));
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

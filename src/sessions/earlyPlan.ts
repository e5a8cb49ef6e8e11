import type { PlannedVersion } from '../core/stateTasks.js';
import type { SessionHead } from '../store/sessionHead.js';
import type { StoreContext } from './context.js';
import { planOnState, type RequestedState } from './planVersion.js';

/** A write's plan made before its transaction: usable only if the locked head is the one it was made on. */
export interface EarlyPlan {
  /**
   * The plan (undefined: unchanged) when `head` is the head it was made on, its failure thrown
   * instead (here, so the preconditions and idempotency are answered first, as for every write);
   * undefined when the head has moved on and the plan must be made again.
   */
  planFor(head: SessionHead | undefined): { plan: PlannedVersion | undefined } | undefined;
}

/**
 * Plans a write (PUT, PATCH) before its transaction, on the head state this process holds in its
 * cache, so that the CPU-heavy work (apply, diff, the replay proof: seconds for a large state)
 * holds neither a pooled connection nor the session's row lock: with it inside, a dozen large
 * saves held every connection of the pool while they waited for a worker thread, and every other
 * tenant's requests waited for them (10 s). The cache is only a guess at the head: the plan is
 * used only if the locked head row has that version and state hash, else made again inside.
 */
export async function planEarly(ctx: StoreContext, tenant: string, sessionId: string, requested: RequestedState): Promise<EarlyPlan | undefined> {
  const cached = ctx.cache.latest(tenant, sessionId);
  if (!cached) return undefined;
  let outcome: { plan: PlannedVersion | undefined } | { error: unknown };
  try {
    outcome = { plan: await planOnState(ctx, cached.state, cached.version, requested) };
  } catch (error) {
    outcome = { error };
  }
  return {
    planFor(head) {
      if (!head || head.headVersion !== cached.version || !head.headStateHash.equals(cached.stateHash)) return undefined;
      if ('error' in outcome) throw outcome.error;
      return outcome;
    },
  };
}

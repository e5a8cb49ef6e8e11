import type { StateText } from '../core/stateTasks.js';
import type { Queryable } from '../db/pool.js';
import { countCacheLookup } from '../metrics/metrics.js';
import type { SessionHead } from '../store/sessionHead.js';
import type { StoreContext } from './context.js';
import { rebuildState } from './rebuildState.js';

/**
 * The head state: from this process's cache when it is provably current (its version and hash
 * are the head row's), else rebuilt from the nearest checkpoint (and cached). Loads and writes
 * both get the head state here.
 */
export async function headState(ctx: StoreContext, db: Queryable, head: SessionHead): Promise<StateText> {
  const cached = ctx.cache.get(head.tenant, head.sessionId, head.headVersion, head.headStateHash);
  countCacheLookup(cached !== undefined);
  if (cached !== undefined) return cached;
  const rebuilt = await rebuildState(db, ctx.work, head.tenant, head.sessionId, head.headVersion, ctx.checkpoints);
  ctx.cache.set(head.tenant, head.sessionId, { version: head.headVersion, stateHash: head.headStateHash, state: rebuilt.state });
  return rebuilt.state;
}

import { wholeStatePlan, type PlannedVersion, type StateText } from '../core/stateTasks.js';
import type { Connection } from '../db/pool.js';
import type { SessionHead } from '../store/sessionHead.js';
import type { StoreContext } from './context.js';
import { headState } from './headState.js';
import { runStateTask } from './stateWork.js';

/** What a write asks for: a whole state, or a patch to apply to the head state. */
export type RequestedState = { state: StateText } | { patchText: string };

/**
 * The version to append after `head`, or undefined when the state would equal the head. Off the
 * event loop when large: apply, diff, hash, and prove that the patch to be stored replays to the
 * new state. The first version of a session is its whole state, stored as one `add` of the root.
 */
export async function planVersion(
  ctx: StoreContext,
  connection: Connection,
  head: SessionHead | undefined,
  requested: RequestedState,
): Promise<PlannedVersion | undefined> {
  if (!head) {
    if (!('state' in requested)) throw new Error('a session can only be created from a whole state');
    return wholeStatePlan(requested.state, 'add');
  }
  // Saving the state the session already has (a Streamlit rerun) needs no head state at all.
  if ('state' in requested && requested.state.hash === head.headStateHash.toString('hex')) return undefined;
  return planOnState(ctx, await headState(ctx, connection, head), head.headVersion, requested);
}

/** The version to append after a head whose state is `current` (and version `headVersion`), or undefined when unchanged. */
export async function planOnState(
  ctx: StoreContext,
  current: StateText,
  headVersion: number,
  requested: RequestedState,
): Promise<PlannedVersion | undefined> {
  const size = current.text.length + ('state' in requested ? requested.state.text.length : requested.patchText.length);
  const input = { head: current, next: requested, limits: ctx.limits, fullStateRatio: ctx.policy.fullStateRatio };
  const plan = await runStateTask(ctx.work, 'planWrite', input, size, {
    current_version: headVersion,
  });
  return plan.unchanged ? undefined : plan;
}

export interface CheckpointPolicy {
  /** A checkpoint at least every this many events. */
  maxEventsBetween: number;
  /** An event whose patch is larger than this fraction of its state is stored whole. */
  fullStateRatio: number;
}

export interface CheckpointInput {
  /** Events after the latest checkpoint, counting the one being written. */
  eventsSinceCheckpoint: number;
  /** Patch bytes after the latest checkpoint, counting the one being written. */
  patchBytesSinceCheckpoint: number;
  patchBytes: number;
  stateBytes: number;
}

export type StorageDecision = 'patch' | 'patch+checkpoint' | 'full';

/**
 * How to store one event. The first two rules bound the work of every load: at most
 * `maxEventsBetween` patches to replay, and never more patch bytes than the state itself. The
 * last keeps storage near the size of the changes: a patch that is most of the state is no
 * cheaper to replay or to store than the state, so the state is stored instead (as a checkpoint,
 * with no patch).
 */
export function decideStorage(policy: CheckpointPolicy, input: CheckpointInput): StorageDecision {
  if (input.patchBytes > input.stateBytes * policy.fullStateRatio) return 'full';
  if (input.eventsSinceCheckpoint >= policy.maxEventsBetween) return 'patch+checkpoint';
  if (input.patchBytesSinceCheckpoint >= input.stateBytes) return 'patch+checkpoint';
  return 'patch';
}

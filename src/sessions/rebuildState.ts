import type { StateText } from '../core/stateTasks.js';
import type { Queryable } from '../db/pool.js';
import { IntegrityError, NotFoundError } from '../errors.js';
import { countReplay } from '../metrics/metrics.js';
import { decodeJson } from '../store/codec.js';
import type { EventPatch } from '../store/readEventPatches.js';
import { readEventsFromCheckpoint } from '../store/readEventsFromCheckpoint.js';
import type { CheckpointCache } from './checkpointCache.js';
import { readNearestCheckpoint } from '../store/readNearestCheckpoint.js';
import type { TaskRunner } from '../work/taskRunner.js';
import { runStateTask } from './stateWork.js';

export interface VersionState {
  version: number;
  state: StateText;
  createdAt: string;
}

/**
 * The state of one version, rebuilt from the nearest checkpoint at or below it plus the patches
 * after that checkpoint, and checked against the hash recorded when it was saved. The work is
 * bounded by the checkpoint policy, whatever the length of the history.
 *
 * One statement reads the events from the checkpoint on; the checkpoint's text comes from
 * `checkpoints` when this process holds it (keyed by its version and state hash), else from a
 * second statement. The hash check stays on every rebuilt state: it is made of stored bytes (a
 * checkpoint, patches, from the database or the cache) that no earlier check covers for this
 * version, so a damaged row or a replay bug would otherwise be answered as the state.
 */
export async function rebuildState(
  db: Queryable,
  work: TaskRunner,
  tenant: string,
  sessionId: string,
  version: number,
  checkpoints?: CheckpointCache,
  /** What readEventsFromCheckpoint gives for `version`, when the caller has read it already (with the head, in one round trip). */
  eventsRead?: EventPatch[],
): Promise<VersionState> {
  const events = eventsRead ?? (await readEventsFromCheckpoint(db, tenant, sessionId, version));
  const first = events[0];
  const last = events.at(-1);
  if (!first || !last || last.version !== version) throw new NotFoundError(`session ${sessionId} has no version ${version}`);
  let checkpointText = checkpoints?.get(tenant, sessionId, first.version, first.stateHash);
  if (checkpointText === undefined) {
    const checkpoint = await readNearestCheckpoint(db, tenant, sessionId, first.version);
    if (!checkpoint || checkpoint.version !== first.version) throw new NotFoundError(`session ${sessionId} has no version ${version}`);
    checkpointText = await decodeJson(checkpoint);
    checkpoints?.set(tenant, sessionId, first.version, first.stateHash, checkpointText);
  }
  const patchTexts: string[] = [];
  for (const event of events.slice(1)) {
    if (!event.patch) throw new IntegrityError(`${tenant}/${sessionId} version ${event.version} has neither a patch nor a checkpoint`);
    patchTexts.push(await decodeJson(event.patch));
  }
  countReplay(patchTexts.length);
  const size = patchTexts.reduce((total, text) => total + text.length, checkpointText.length);
  try {
    const state = await runStateTask(work, 'replayVersion', { checkpointText, patchTexts, expectedHash: last.stateHash.toString('hex') }, size);
    return { version, state, createdAt: last.createdAt };
  } catch (error) {
    if (error instanceof IntegrityError) throw new IntegrityError(`${tenant}/${sessionId} version ${version}: ${error.message}`);
    throw error;
  }
}

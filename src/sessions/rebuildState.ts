import type { StateText } from '../core/stateTasks.js';
import type { Queryable } from '../db/pool.js';
import { IntegrityError, NotFoundError } from '../errors.js';
import { countReplay } from '../metrics/metrics.js';
import { decodeJson } from '../store/codec.js';
import { readEventPatches } from '../store/readEventPatches.js';
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
 */
export async function rebuildState(db: Queryable, work: TaskRunner, tenant: string, sessionId: string, version: number): Promise<VersionState> {
  const checkpoint = await readNearestCheckpoint(db, tenant, sessionId, version);
  if (!checkpoint) throw new NotFoundError(`session ${sessionId} has no version ${version}`);
  const events = await readEventPatches(db, tenant, sessionId, checkpoint.version, version);
  const last = events.at(-1);
  if (!last || last.version !== version || events[0]?.version !== checkpoint.version) {
    throw new NotFoundError(`session ${sessionId} has no version ${version}`);
  }
  const patchTexts: string[] = [];
  for (const event of events.slice(1)) {
    if (!event.patch) throw new IntegrityError(`${tenant}/${sessionId} version ${event.version} has neither a patch nor a checkpoint`);
    patchTexts.push(await decodeJson(event.patch));
  }
  const checkpointText = await decodeJson(checkpoint);
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

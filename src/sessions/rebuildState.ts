import type { Operation } from 'fast-json-patch';
import { digestState, type Json } from '../core/json.js';
import { replay } from '../core/replay.js';
import type { Queryable } from '../db/pool.js';
import { NotFoundError } from '../errors.js';
import { decodeJson } from '../store/codec.js';
import { readEventPatches } from '../store/readEventPatches.js';
import { readNearestCheckpoint } from '../store/readNearestCheckpoint.js';

export interface VersionState {
  version: number;
  state: Json;
  stateHash: Buffer;
  createdAt: string;
}

/** Stored history disagrees with itself: a replayed state does not match its recorded hash. */
export class IntegrityError extends Error {}

/**
 * The state of one version, rebuilt from the nearest checkpoint at or below it plus the patches
 * after that checkpoint, and checked against the hash recorded when it was saved. The work is
 * bounded by the checkpoint policy, whatever the length of the history.
 */
export async function rebuildState(db: Queryable, tenant: string, sessionId: string, version: number): Promise<VersionState> {
  const checkpoint = await readNearestCheckpoint(db, tenant, sessionId, version);
  if (!checkpoint) throw new NotFoundError(`session ${sessionId} has no version ${version}`);
  const events = await readEventPatches(db, tenant, sessionId, checkpoint.version, version);
  const last = events.at(-1);
  if (!last || last.version !== version || events[0]?.version !== checkpoint.version) {
    throw new NotFoundError(`session ${sessionId} has no version ${version}`);
  }
  const patches: Operation[][] = [];
  for (const event of events.slice(1)) {
    if (!event.patch) throw new IntegrityError(`${tenant}/${sessionId} version ${event.version} has neither a patch nor a checkpoint`);
    patches.push(JSON.parse(await decodeJson(event.patch.encoding, event.patch.body)) as Operation[]);
  }
  const base = JSON.parse(await decodeJson(checkpoint.encoding, checkpoint.body)) as Json;
  const state = replay(base, patches);
  const { hash } = digestState(state);
  if (!hash.equals(last.stateHash)) {
    throw new IntegrityError(
      `${tenant}/${sessionId} version ${version}: replayed state hash ${hash.toString('hex')} does not match the stored ${last.stateHash.toString('hex')}`,
    );
  }
  return { version, state, stateHash: last.stateHash, createdAt: last.createdAt };
}

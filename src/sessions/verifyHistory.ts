import type { Operation } from 'fast-json-patch';
import { chainHash, GENESIS_HASH } from '../core/chain.js';
import { digestState, type Json } from '../core/json.js';
import { replay } from '../core/replay.js';
import type { Queryable } from '../db/pool.js';
import { IntegrityError } from '../errors.js';
import { decodeJsonValue } from '../store/codec.js';
import type { StoredEvent } from '../store/eventMetadata.js';
import { readCheckpointRange } from '../store/readCheckpointRange.js';
import { readEventRange } from '../store/readEventRange.js';
import { readSessionHead } from '../store/readSessionHead.js';
import { readSessionBase } from '../store/sessionBase.js';
import { sessionNotFound } from './liveSession.js';

/** What verifyHistory throws at the first disagreement: which version, and what disagrees. */
function mismatch(version: number, reason: string): IntegrityError {
  return new IntegrityError(`version ${version}: ${reason}`);
}

export interface VerifiedVersion {
  event: StoredEvent;
  /** The patch as stored (a version stored whole: one `add` or `replace` of the root): a value of its own. */
  patch: Operation[];
}

const BATCH = 500;

/**
 * Replays a session's whole history from its first version and checks everything stored against
 * it. The first version is 1, or for a session retention compacted its base: then the chain
 * starts from the link recorded for the base (which the base event's prev_hash must equal) and
 * the state from the base's checkpoint. Checks versions contiguous from there, each replayed state against its recorded hash, each checkpoint
 * against the replayed state, each event's prev_hash against the chain, and the head row against
 * the last event. Throws an IntegrityError at the first disagreement. Calls `visit` with every
 * version in order (up to `to`), for listings.
 */
export async function verifyHistory(
  db: Queryable,
  tenant: string,
  sessionId: string,
  options: { to?: number; visit?: (version: VerifiedVersion) => void } = {},
): Promise<{ versions: number; checkpoints: number; firstVersion: number }> {
  const head = await readSessionHead(db, tenant, sessionId);
  if (!head) throw sessionNotFound(sessionId);
  const base = await readSessionBase(db, tenant, sessionId);
  const first = base?.baseVersion ?? 1;
  const last = Math.min(options.to ?? head.headVersion, head.headVersion);
  if (last < first) throw mismatch(last, `the session's history starts at version ${first} (compacted by retention)`);
  let state: Json = null;
  let chain: Buffer = base?.baseChainHash ?? GENESIS_HASH;
  let checkpoints = 0;

  for (let from = first; from <= last; from += BATCH) {
    const to = Math.min(from + BATCH - 1, last);
    const events = await readEventRange(db, tenant, sessionId, from, to);
    const stored = new Map((await readCheckpointRange(db, tenant, sessionId, from, to)).map((c) => [c.version, c]));
    for (let i = 0; i < to - from + 1; i++) {
      const version = from + i;
      const event = events[i];
      if (!event || event.version !== version) throw mismatch(version, 'missing: versions are not contiguous');
      if (!event.prevHash.equals(chain)) throw mismatch(version, 'prev_hash does not continue the hash chain: history was edited');
      const checkpoint = stored.get(version);
      let patch: Operation[];
      if (version === 1 && event.patch) throw mismatch(version, 'version 1 must be stored whole');
      // The base of a compacted history starts from its checkpoint: the patch it keeps applied to
      // a version that is gone.
      if (event.patch && version > first) {
        patch = await decodeJsonValue<Operation[]>(event.patch);
        try {
          // The replay changes the state in place and keeps the values the patch adds: it gets a
          // copy, so the patch handed to `visit` stays what was stored.
          state = replay(state, [structuredClone(patch)]);
        } catch (error) {
          throw mismatch(version, `the stored patch does not apply to version ${version - 1}: ${(error as Error).message}`);
        }
      } else {
        if (!checkpoint) {
          throw mismatch(version, version === first && first > 1 ? 'the base of the compacted history has no checkpoint' : 'stored whole, but there is no checkpoint for it');
        }
        state = await decodeJsonValue<Json>(checkpoint);
        // A copy: later patches change `state` in place.
        patch = [{ op: version === 1 ? 'add' : 'replace', path: '', value: structuredClone(state) }];
      }
      const digest = digestState(state);
      if (!digest.hash.equals(event.stateHash)) throw mismatch(version, 'the replayed state does not match the recorded state_hash');
      if (digest.bytes !== event.stateBytes) throw mismatch(version, 'the replayed state does not have the recorded state_bytes');
      if (checkpoint) {
        checkpoints++;
        const body = await decodeJsonValue<Json>(checkpoint);
        if (!digestState(body).hash.equals(event.stateHash)) throw mismatch(version, 'the checkpoint differs from the replayed state');
      }
      chain = chainHash(chain, { version, kind: event.kind, createdAt: event.createdAt, stateHash: event.stateHash });
      options.visit?.({ event, patch });
    }
  }
  if (last === head.headVersion) {
    if (!head.headStateHash.equals(digestState(state).hash)) throw mismatch(last, 'the session head records another state hash');
    if (!head.headChainHash.equals(chain)) throw mismatch(last, 'the session head records another chain hash');
    if (head.checkpointVersion > last) throw mismatch(last, 'the session head names a checkpoint past the head');
  }
  return { versions: last - first + 1, checkpoints, firstVersion: first };
}

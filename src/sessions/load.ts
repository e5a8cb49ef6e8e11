import type { StateText } from '../core/stateTasks.js';
import type { Queryable } from '../db/pool.js';
import { NotFoundError } from '../errors.js';
import { countLoad } from '../metrics/metrics.js';
import { findVersionAt } from '../store/findVersionAt.js';
import { readFirstVersion, readFirstVersionStatement, toFirstVersion } from '../store/sessionBase.js';
import { readingKeptVersion, requireKeptVersion, versionRemoved } from '../retention/keptVersions.js';
import type { SessionHead } from '../store/sessionHead.js';
import type { StoreContext } from './context.js';
import { headState } from './headState.js';
import { requireLive, requireLiveSession } from './liveSession.js';
import { runBatch } from '../db/batch.js';
import { readEventsFromCheckpointStatement, toEventPatches } from '../store/readEventsFromCheckpoint.js';
import { readSessionHeadStatement, toReadHead } from '../store/readSessionHead.js';
import { rebuildState } from './rebuildState.js';

/** Which version: the head, a version number, or the last version saved at or before an instant. */
export type VersionSelector = { version: number } | { at: string } | { latest: true };

export interface LoadedState {
  version: number;
  createdAt: string;
  state: StateText;
}

/** Resolves a selector to a version number of the session, or throws `notFound`. */
export async function resolveVersion(
  db: Queryable,
  head: SessionHead,
  selector: VersionSelector,
  notFound: (detail: string) => Error = (detail) => new NotFoundError(detail),
  firstVersion?: number,
): Promise<number> {
  if ('latest' in selector) return head.headVersion;
  if ('version' in selector) {
    if (selector.version > head.headVersion) {
      throw notFound(`session ${head.sessionId} has no version ${selector.version} (its latest is ${head.headVersion})`);
    }
    // Retention may have removed it (410, naming the first version kept).
    if (selector.version < head.headVersion) {
      if (firstVersion === undefined) await requireKeptVersion(db, head.tenant, head.sessionId, selector.version);
      else if (selector.version < firstVersion) throw versionRemoved(head.sessionId, `version ${selector.version}`, firstVersion);
    }
    return selector.version;
  }
  const version = await findVersionAt(db, head.tenant, head.sessionId, selector.at);
  if (version === undefined || version < head.headVersion) {
    const first = await readFirstVersion(db, head.tenant, head.sessionId);
    // After the session was created but before its first kept version: removed, not never there.
    if (first > 1 && (version !== undefined ? version < first : selector.at >= head.createdAt)) {
      throw versionRemoved(head.sessionId, 'the state at that instant', first);
    }
  }
  if (version === undefined) throw notFound(`session ${head.sessionId} had no saved state at that instant`);
  return version;
}

export async function loadState(ctx: StoreContext, tenant: string, sessionId: string, selector: VersionSelector): Promise<LoadedState> {
  countLoad(selector);
  if ('version' in selector) {
    // The head row, the session's first kept version and the events from the version's nearest
    // checkpoint, in one round trip: the events are read whatever the head says (a version past
    // it, a deleted session, a version retention removed), and used only once those are checked.
    const [headRows, eventRows, baseRows] = await runBatch(ctx.pool, [
      readSessionHeadStatement(tenant, sessionId),
      readEventsFromCheckpointStatement(tenant, sessionId, selector.version),
      readFirstVersionStatement(tenant, sessionId),
    ]);
    const head = requireLive(toReadHead(headRows), sessionId);
    const version = await resolveVersion(ctx.pool, head, selector, undefined, toFirstVersion(baseRows));
    if (version === head.headVersion) return { version, createdAt: head.updatedAt, state: await headState(ctx, ctx.pool, head) };
    // A compaction that began after the base was read may have deleted the rows: then a 410.
    return readingKeptVersion(ctx.pool, tenant, sessionId, version, () =>
      rebuildState(ctx.pool, ctx.work, tenant, sessionId, version, ctx.checkpoints, toEventPatches(eventRows)),
    );
  }
  const head = await requireLiveSession(ctx.pool, tenant, sessionId);
  const version = await resolveVersion(ctx.pool, head, selector);
  if (version === head.headVersion) return { version, createdAt: head.updatedAt, state: await headState(ctx, ctx.pool, head) };
  return readingKeptVersion(ctx.pool, tenant, sessionId, version, () => rebuildState(ctx.pool, ctx.work, tenant, sessionId, version, ctx.checkpoints));
}

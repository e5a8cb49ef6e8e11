import type { Json } from '../core/json.js';
import type { Queryable } from '../db/pool.js';
import { GoneError, NotFoundError } from '../errors.js';
import { findVersionAt } from '../store/findVersionAt.js';
import { readSessionHead, type SessionHead } from '../store/readSessionHead.js';
import type { StoreContext } from './context.js';
import { rebuildState } from './rebuildState.js';

/** Which version: the head, a version number, or the last version saved at or before an instant. */
export type VersionSelector = { version: number } | { at: string } | { latest: true };

export interface LoadedState {
  version: number;
  createdAt: string;
  state: Json;
  stateHash: Buffer;
}

/** The head row of a live session, or the 404 / 410 a client gets instead. */
export async function requireLiveSession(db: Queryable, tenant: string, sessionId: string): Promise<SessionHead> {
  const head = await readSessionHead(db, tenant, sessionId);
  if (!head) throw new NotFoundError(`session ${sessionId} does not exist`);
  if (head.deletedAt) throw new GoneError(`session ${sessionId} was deleted`);
  return head;
}

/** Resolves a selector to a version number of the session, or throws `notFound`. */
export async function resolveVersion(
  db: Queryable,
  head: SessionHead,
  selector: VersionSelector,
  notFound: (detail: string) => Error = (detail) => new NotFoundError(detail),
): Promise<number> {
  if ('latest' in selector) return head.headVersion;
  if ('version' in selector) {
    if (selector.version > head.headVersion) {
      throw notFound(`session ${head.sessionId} has no version ${selector.version} (its latest is ${head.headVersion})`);
    }
    return selector.version;
  }
  const version = await findVersionAt(db, head.tenant, head.sessionId, selector.at);
  if (version === undefined) throw notFound(`session ${head.sessionId} had no saved state at that instant`);
  return version;
}

export async function loadState(ctx: StoreContext, tenant: string, sessionId: string, selector: VersionSelector): Promise<LoadedState> {
  const head = await requireLiveSession(ctx.pool, tenant, sessionId);
  const version = await resolveVersion(ctx.pool, head, selector);
  if (version === head.headVersion) {
    const cached = ctx.cache.get(tenant, sessionId, head.headVersion, head.headStateHash);
    if (cached !== undefined) return { version, createdAt: head.updatedAt, state: cached, stateHash: head.headStateHash };
  }
  const rebuilt = await rebuildState(ctx.pool, tenant, sessionId, version);
  if (version === head.headVersion) {
    ctx.cache.set(tenant, sessionId, { ...rebuilt, bytes: head.headStateBytes });
  }
  return rebuilt;
}

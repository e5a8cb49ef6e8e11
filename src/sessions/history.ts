import { NotFoundError } from '../errors.js';
import { decodeJson } from '../store/codec.js';
import type { EventMetadata } from '../store/eventMetadata.js';
import { readEvent } from '../store/readEvent.js';
import { readHistory, type HistoryQuery } from '../store/readHistory.js';
import type { StoreContext } from './context.js';
import { requireLiveSession } from './liveSession.js';
import { resolveVersion } from './load.js';
import { rebuildState } from './rebuildState.js';
import { runStateTask } from './stateWork.js';
import { readingKeptVersion, requireKeptVersion } from '../retention/keptVersions.js';
import { readFirstVersion } from '../store/sessionBase.js';

export interface HistoryPage {
  items: EventMetadata[];
  /** The `before` cursor of the next (older) page, or null on the last page. */
  next: number | null;
  /** The oldest version the session still has (1, or the base retention compacted it to). */
  firstVersion: number;
}

export async function listHistory(ctx: StoreContext, tenant: string, sessionId: string, query: HistoryQuery): Promise<HistoryPage> {
  await requireLiveSession(ctx.pool, tenant, sessionId);
  const firstVersion = await readFirstVersion(ctx.pool, tenant, sessionId);
  const rows = await readHistory(ctx.pool, tenant, sessionId, { ...query, limit: query.limit + 1 });
  // A compaction under way deletes the versions below the base in batches: they are gone already.
  const kept = rows.filter((row) => row.version >= firstVersion);
  const items = kept.slice(0, query.limit);
  const more = kept.length > query.limit;
  return { items, next: more ? items.at(-1)!.version : null, firstVersion };
}

export interface VersionDetail extends EventMetadata {
  /** The RFC 6902 patch, as JSON text. */
  patchText: string;
}

/**
 * One event with its patch. A version stored whole has no stored patch; its patch is the
 * equivalent whole-document operation (`add` at the root for version 1, else `replace`).
 * Patches and states stay JSON text throughout: nothing here parses a state.
 */
export async function readVersion(ctx: StoreContext, tenant: string, sessionId: string, version: number): Promise<VersionDetail> {
  await requireLiveSession(ctx.pool, tenant, sessionId);
  await requireKeptVersion(ctx.pool, tenant, sessionId, version);
  const event = await readEvent(ctx.pool, tenant, sessionId, version);
  if (!event) {
    await requireKeptVersion(ctx.pool, tenant, sessionId, version);
    throw new NotFoundError(`session ${sessionId} has no version ${version}`);
  }
  const { patch: stored, ...metadata } = event;
  if (stored) return { ...metadata, patchText: await decodeJson(stored) };
  const { state } = await readingKeptVersion(ctx.pool, tenant, sessionId, version, () => rebuildState(ctx.pool, ctx.work, tenant, sessionId, version, ctx.checkpoints));
  return { ...metadata, patchText: `[{"op":"${version === 1 ? 'add' : 'replace'}","path":"","value":${state.text}}]` };
}

/** The RFC 6902 patch that turns version `from`'s state into version `to`'s. */
export async function diffVersions(
  ctx: StoreContext,
  tenant: string,
  sessionId: string,
  from: number,
  to: number,
): Promise<{ from: number; to: number; patch: Uint8Array }> {
  const head = await requireLiveSession(ctx.pool, tenant, sessionId);
  await resolveVersion(ctx.pool, head, { version: Math.max(from, to) });
  await resolveVersion(ctx.pool, head, { version: Math.min(from, to) });
  const fromState = await readingKeptVersion(ctx.pool, tenant, sessionId, from, () => rebuildState(ctx.pool, ctx.work, tenant, sessionId, from, ctx.checkpoints));
  if (from === to) return { from, to, patch: Buffer.from('[]') };
  const toState = await readingKeptVersion(ctx.pool, tenant, sessionId, to, () => rebuildState(ctx.pool, ctx.work, tenant, sessionId, to, ctx.checkpoints));
  const size = fromState.state.text.length + toState.state.text.length;
  const { patch } = await runStateTask(ctx.work, 'diffStates', { fromText: fromState.state.text, toText: toState.state.text }, size);
  return { from, to, patch };
}

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

export interface HistoryPage {
  items: EventMetadata[];
  /** The `before` cursor of the next (older) page, or null on the last page. */
  next: number | null;
}

export async function listHistory(ctx: StoreContext, tenant: string, sessionId: string, query: HistoryQuery): Promise<HistoryPage> {
  await requireLiveSession(ctx.pool, tenant, sessionId);
  const rows = await readHistory(ctx.pool, tenant, sessionId, { ...query, limit: query.limit + 1 });
  const items = rows.slice(0, query.limit);
  const more = rows.length > query.limit;
  return { items, next: more ? items.at(-1)!.version : null };
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
  const event = await readEvent(ctx.pool, tenant, sessionId, version);
  if (!event) throw new NotFoundError(`session ${sessionId} has no version ${version}`);
  const { patch: stored, ...metadata } = event;
  if (stored) return { ...metadata, patchText: await decodeJson(stored) };
  const { state } = await rebuildState(ctx.pool, ctx.work, tenant, sessionId, version, ctx.checkpoints);
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
  const fromState = await rebuildState(ctx.pool, ctx.work, tenant, sessionId, from, ctx.checkpoints);
  if (from === to) return { from, to, patch: Buffer.from('[]') };
  const toState = await rebuildState(ctx.pool, ctx.work, tenant, sessionId, to, ctx.checkpoints);
  const size = fromState.state.text.length + toState.state.text.length;
  const { patch } = await runStateTask(ctx.work, 'diffStates', { fromText: fromState.state.text, toText: toState.state.text }, size);
  return { from, to, patch };
}

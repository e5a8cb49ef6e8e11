import type { Operation } from 'fast-json-patch';
import { diff } from '../core/diff.js';
import type { Json } from '../core/json.js';
import { NotFoundError } from '../errors.js';
import { decodeJson } from '../store/codec.js';
import type { EventMetadata } from '../store/eventMetadata.js';
import { readEvent } from '../store/readEvent.js';
import { readHistory, type HistoryQuery } from '../store/readHistory.js';
import type { StoreContext } from './context.js';
import { requireLiveSession, resolveVersion } from './load.js';
import { rebuildState } from './rebuildState.js';

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
  patch: Operation[];
}

/**
 * One event with its patch. A version stored whole has no stored patch; its patch is the
 * equivalent whole-document operation (`add` at the root for version 1, else `replace`).
 */
export async function readVersion(ctx: StoreContext, tenant: string, sessionId: string, version: number): Promise<VersionDetail> {
  await requireLiveSession(ctx.pool, tenant, sessionId);
  const event = await readEvent(ctx.pool, tenant, sessionId, version);
  if (!event) throw new NotFoundError(`session ${sessionId} has no version ${version}`);
  const { patch: stored, ...metadata } = event;
  if (stored) return { ...metadata, patch: JSON.parse(await decodeJson(stored.encoding, stored.body)) as Operation[] };
  const { state } = await rebuildState(ctx.pool, tenant, sessionId, version);
  return { ...metadata, patch: [{ op: version === 1 ? 'add' : 'replace', path: '', value: state }] };
}

/** The RFC 6902 patch that turns version `from`'s state into version `to`'s. */
export async function diffVersions(
  ctx: StoreContext,
  tenant: string,
  sessionId: string,
  from: number,
  to: number,
): Promise<{ from: number; to: number; patch: Operation[] }> {
  const head = await requireLiveSession(ctx.pool, tenant, sessionId);
  await resolveVersion(ctx.pool, head, { version: Math.max(from, to) });
  const fromState = await rebuildState(ctx.pool, tenant, sessionId, from);
  const toState = from === to ? fromState : await rebuildState(ctx.pool, tenant, sessionId, to);
  return { from, to, patch: diff(fromState.state as Json, toState.state as Json) };
}

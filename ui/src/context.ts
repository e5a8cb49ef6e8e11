import type { Api, Identity } from './api.js';

/** What every view of a signed-in page gets. */
export interface PageContext {
  api: Api;
  identity: Identity;
  /** Whether the key may write (restore, fork, delete): the page offers those actions only then. */
  canWrite: boolean;
  /** A short message in the page's status line (announced politely). */
  notify(text: string): void;
  navigate(hash: string): void;
}

/** The page's addresses (in the fragment: the server only ever serves /ui/). */
export const routes = {
  list: (): string => '#/',
  session: (sid: string): string => `#/s/${encodeURIComponent(sid)}`,
  version: (sid: string, version: number): string => `#/s/${encodeURIComponent(sid)}/v/${version}`,
  diff: (sid: string, from: number, to: number): string => `#/s/${encodeURIComponent(sid)}/diff/${from}/${to}`,
};

export type Route =
  | { view: 'list' }
  | { view: 'session'; sid: string; version?: number; diff?: { from: number; to: number } }
  | { view: 'unknown' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  if (path === '' || path === '/') return { view: 'list' };
  const match = /^\/s\/([^/]+)(?:\/v\/([1-9]\d*)|\/diff\/([1-9]\d*)\/([1-9]\d*))?$/.exec(path);
  if (!match) return { view: 'unknown' };
  let sid: string;
  try {
    sid = decodeURIComponent(match[1]!);
  } catch {
    return { view: 'unknown' };
  }
  if (match[2]) return { view: 'session', sid, version: Number(match[2]) };
  if (match[3] && match[4]) return { view: 'session', sid, diff: { from: Number(match[3]), to: Number(match[4]) } };
  return { view: 'session', sid };
}

export const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

import type { Queryable } from '../db/pool.js';
import { GoneError, NotFoundError } from '../errors.js';
import { readSessionHead } from '../store/readSessionHead.js';
import type { SessionHead } from '../store/sessionHead.js';

/** What every answer about a session id the tenant has no head row for says. */
export function sessionMissing(sessionId: string): string {
  return `session ${sessionId} does not exist`;
}

/** What every answer about a session id the tenant has a head row for says, where that is the problem. */
export function sessionExists(sessionId: string): string {
  return `session ${sessionId} already exists`;
}

export function sessionNotFound(sessionId: string): NotFoundError {
  return new NotFoundError(sessionMissing(sessionId));
}

export function sessionGone(sessionId: string): GoneError {
  return new GoneError(`session ${sessionId} was deleted`);
}

/** The head of a live session, or the 404 / 410 a client gets instead. */
export function requireLive(head: SessionHead | undefined, sessionId: string): SessionHead {
  if (!head) throw sessionNotFound(sessionId);
  if (head.deletedAt) throw sessionGone(sessionId);
  return head;
}

/** The head row of a live session as committed now, or the 404 / 410 a client gets instead. */
export async function requireLiveSession(db: Queryable, tenant: string, sessionId: string): Promise<SessionHead> {
  return requireLive(await readSessionHead(db, tenant, sessionId), sessionId);
}

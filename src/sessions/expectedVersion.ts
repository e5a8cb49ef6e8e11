import { ConflictError, PreconditionFailedError } from '../errors.js';
import type { SessionHead } from '../store/sessionHead.js';
import { sessionExists, sessionGone, sessionMissing, sessionNotFound } from './liveSession.js';

/** If-Match: the head must be one of these versions ('*': the session must exist). */
export type IfMatch = ReadonlySet<number> | '*';

/** What a write expects of the session it writes to, checked against the locked head row. */
export interface ExpectedSession {
  /** 'existing': 404 on an unknown session. 'new': 409 when the id is taken (fork targets). */
  exists: 'existing' | 'new' | 'either';
  /** A deleted session answers 410, unless the write is one a deleted session allows (a purge). */
  deletedAllowed?: boolean | undefined;
  ifMatch?: IfMatch | undefined;
  /** If-None-Match: * — create only. */
  createOnly?: boolean | undefined;
}

/**
 * Every write's preconditions, in the one order the API answers them: 409 (a fork target that
 * exists), 410 (deleted), 404 (unknown), then 412 (If-None-Match: *, If-Match) with the head's
 * version as `current_version`.
 */
export function expectSession(sessionId: string, head: SessionHead | undefined, expected: ExpectedSession): void {
  // A fork target that exists is a conflict even when deleted: its id is not free.
  if (expected.exists === 'new' && head) throw new ConflictError(`${sessionExists(sessionId)}${head.deletedAt ? ' (deleted)' : ''}`);
  if (head?.deletedAt && !expected.deletedAllowed) throw sessionGone(sessionId);
  if (expected.exists === 'existing' && !head) throw sessionNotFound(sessionId);
  const current = { current_version: head ? head.headVersion : null };
  if (expected.createOnly && head) {
    throw new PreconditionFailedError(`${sessionExists(sessionId)} (If-None-Match: *)`, current);
  }
  if (expected.ifMatch !== undefined) {
    if (!head) throw new PreconditionFailedError(`${sessionMissing(sessionId)} (If-Match)`, current);
    if (expected.ifMatch !== '*' && !expected.ifMatch.has(head.headVersion)) {
      throw new PreconditionFailedError(ifMatchFailure(sessionId, head.headVersion, expected.ifMatch), current);
    }
  }
}

/** Why If-Match did not hold on a session at `version`. */
function ifMatchFailure(sessionId: string, version: number, named: ReadonlySet<number>): string {
  const tags = named.size > 0 ? [...named].map((v) => `"${v}"`).join(', ') : 'no strong entity tag of a version';
  return `session ${sessionId} is at version ${version} (ETag "${version}"); If-Match names ${tags}`;
}

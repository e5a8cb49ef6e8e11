import { parseInstant } from '../core/time.js';
import { ValidationError } from '../errors.js';
import { listSessions as listSessionRows, type SessionSummary } from '../store/listSessions.js';
import type { StoreContext } from './context.js';

export interface SessionPage {
  items: SessionSummary[];
  /** Opaque cursor of the next page, or null on the last page. */
  next: string | null;
}

export async function listSessions(
  ctx: StoreContext,
  tenant: string,
  query: { prefix: string | undefined; cursor: string | undefined; limit: number },
): Promise<SessionPage> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const rows = await listSessionRows(ctx.pool, tenant, { prefix: query.prefix, after, limit: query.limit + 1 });
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  return { items, next: rows.length > query.limit && last ? encodeCursor(last.updatedAt, last.sessionId) : null };
}

function encodeCursor(updatedAt: string, sessionId: string): string {
  return Buffer.from(JSON.stringify([updatedAt, sessionId])).toString('base64url');
}

/** What encodeCursor can have put in a cursor: a stored session id (ASCII, see migrations). */
const CURSOR_SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

/**
 * A cursor is client input: everything in it goes to SQL only once it is exactly what
 * encodeCursor writes (a real instant in the one DbInstant spelling, a session id), so a forged
 * one is a 400 and not a database error (a non-ASCII id meets the ASCII column in a collation error).
 */
function decodeCursor(cursor: string): { updatedAt: string; sessionId: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) && value.length === 2 &&
      typeof value[0] === 'string' && parseInstant(`${value[0].slice(0, 10)}T${value[0].slice(11)}Z`) === value[0] &&
      typeof value[1] === 'string' && CURSOR_SESSION_ID.test(value[1]) &&
      encodeCursor(value[0], value[1]) === cursor
    ) {
      return { updatedAt: value[0], sessionId: value[1] };
    }
  } catch {
    // fall through
  }
  throw new ValidationError('cursor is not one this server gave out: pass the `next` value of the previous page');
}

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

function decodeCursor(cursor: string): { updatedAt: string; sessionId: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) && value.length === 2 &&
      typeof value[0] === 'string' && /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/.test(value[0]) &&
      typeof value[1] === 'string' && value[1].length <= 128
    ) {
      return { updatedAt: value[0], sessionId: value[1] };
    }
  } catch {
    // fall through
  }
  throw new ValidationError('cursor is not one this server gave out: pass the `next` value of the previous page');
}

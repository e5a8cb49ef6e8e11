import { dbInstant } from '../core/time.js';
import type { Statement } from '../db/batch.js';
import { selectRows, type Queryable } from '../db/pool.js';
import { SESSION_HEAD_COLUMNS, toSessionHead, type SessionHead, type SessionHeadRow } from './sessionHead.js';

/**
 * The head row, locked until the transaction ends: every write of a session goes through this
 * lock, which is what serializes concurrent writers across server processes (`share`: a reader
 * that must see the session unchanged until it commits, such as a fork's source). Also returns
 * the database's clock, the one source of event times.
 */
export async function lockSessionHead(
  db: Queryable,
  tenant: string,
  sessionId: string,
  mode: 'update' | 'share' = 'update',
): Promise<{ head: SessionHead | undefined; now: string }> {
  const rows = await selectRows<SessionHeadRow & { now: string }>(
    db,
    `SELECT ${SESSION_HEAD_COLUMNS}, UTC_TIMESTAMP(6) AS now FROM sessions WHERE tenant = ? AND session_id = ?
     ${mode === 'update' ? 'FOR UPDATE' : 'LOCK IN SHARE MODE'}`,
    [tenant, sessionId],
  );
  if (rows[0]) return { head: toSessionHead(rows[0]), now: dbInstant(rows[0].now) };
  const [clock] = await selectRows<{ now: string }>(db, 'SELECT UTC_TIMESTAMP(6) AS now', []);
  return { head: undefined, now: dbInstant(clock!.now) };
}

/**
 * lockSessionHead (`update`) as statements, to be sent with others (src/db/batch.ts): the locking
 * read, then the clock, read once the lock is held. Read their results with `toLockedHead`.
 */
export function lockSessionHeadStatements(tenant: string, sessionId: string): Statement[] {
  return [
    { sql: `SELECT ${SESSION_HEAD_COLUMNS} FROM sessions WHERE tenant = ? AND session_id = ? FOR UPDATE`, values: [tenant, sessionId] },
    { sql: 'SELECT UTC_TIMESTAMP(6) AS now', values: [] },
  ];
}

export function toLockedHead(results: unknown[]): { head: SessionHead | undefined; now: string } {
  const [heads, clock] = results as [SessionHeadRow[], Array<{ now: string }>];
  return { head: heads[0] && toSessionHead(heads[0]), now: dbInstant(clock[0]!.now) };
}

import { selectRows, type Queryable } from '../db/pool.js';
import { SESSION_HEAD_COLUMNS, toSessionHead, type SessionHead, type SessionHeadRow } from './sessionHead.js';

/** The head row as committed now (a plain read: no lock). */
export async function readSessionHead(db: Queryable, tenant: string, sessionId: string): Promise<SessionHead | undefined> {
  const rows = await selectRows<SessionHeadRow>(
    db,
    `SELECT ${SESSION_HEAD_COLUMNS} FROM sessions WHERE tenant = ? AND session_id = ?`,
    [tenant, sessionId],
  );
  return rows[0] && toSessionHead(rows[0]);
}

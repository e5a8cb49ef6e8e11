import type { Statement } from '../db/batch.js';
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

/** readSessionHead as a statement, to be sent with others (src/db/batch.ts); read its rows with `toReadHead`. */
export function readSessionHeadStatement(tenant: string, sessionId: string): Statement {
  return { sql: `SELECT ${SESSION_HEAD_COLUMNS} FROM sessions WHERE tenant = ? AND session_id = ?`, values: [tenant, sessionId] };
}

export function toReadHead(rows: unknown): SessionHead | undefined {
  const row = (rows as SessionHeadRow[])[0];
  return row && toSessionHead(row);
}

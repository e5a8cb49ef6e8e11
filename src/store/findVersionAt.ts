import { selectRows, type Queryable } from '../db/pool.js';

/**
 * The last version saved at or before `instant`, or undefined when the session had no version
 * yet. Event times never decrease within a session, so the newest such event is the answer.
 */
export async function findVersionAt(db: Queryable, tenant: string, sessionId: string, instant: string): Promise<number | undefined> {
  const rows = await selectRows<{ version: number }>(
    db,
    `SELECT version FROM events WHERE tenant = ? AND session_id = ? AND created_at <= ?
     ORDER BY created_at DESC, version DESC LIMIT 1`,
    [tenant, sessionId, instant],
  );
  return rows[0]?.version;
}

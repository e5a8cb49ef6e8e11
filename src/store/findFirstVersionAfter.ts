import { selectRows, type Queryable } from '../db/pool.js';

/** The first version saved less than `days` days ago by the database clock, or undefined if none was. */
export async function findFirstVersionWithinDays(db: Queryable, tenant: string, sessionId: string, days: number): Promise<number | undefined> {
  const rows = await selectRows<{ version: number }>(
    db,
    `SELECT version FROM events WHERE tenant = ? AND session_id = ? AND created_at > UTC_TIMESTAMP(6) - INTERVAL ? DAY
     ORDER BY created_at, version LIMIT 1`,
    [tenant, sessionId, days],
  );
  return rows[0]?.version;
}

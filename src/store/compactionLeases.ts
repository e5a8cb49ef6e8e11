import { execute, type Queryable } from '../db/pool.js';

/**
 * Takes the compaction lease of a session for `seconds`, if no other holder has an unexpired one:
 * a new row, or an expired row taken over by a conditional UPDATE. Each is one statement on one
 * row, decided by the row itself (the primary key, or the WHERE on the current expiry), so two
 * takers never both succeed, on one server or on a Galera cluster (where the loser of a
 * certification conflict fails instead). True when this holder has the lease.
 */
export async function takeCompactionLease(db: Queryable, tenant: string, sessionId: string, holder: string, seconds: number): Promise<boolean> {
  const inserted = await execute(
    db,
    `INSERT IGNORE INTO compaction_leases (tenant, session_id, holder, expires_at)
     VALUES (?, ?, ?, UTC_TIMESTAMP(6) + INTERVAL ? SECOND)`,
    [tenant, sessionId, holder, seconds],
  );
  if (inserted.affectedRows === 1) return true;
  const taken = await execute(
    db,
    `UPDATE compaction_leases SET holder = ?, expires_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND
     WHERE tenant = ? AND session_id = ? AND (expires_at < UTC_TIMESTAMP(6) OR holder = ?)`,
    [holder, seconds, tenant, sessionId, holder],
  );
  return taken.affectedRows === 1;
}

/** Extends this holder's lease; false when it no longer holds it (it expired and another took it). */
export async function renewCompactionLease(db: Queryable, tenant: string, sessionId: string, holder: string, seconds: number): Promise<boolean> {
  const renewed = await execute(
    db,
    `UPDATE compaction_leases SET expires_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND
     WHERE tenant = ? AND session_id = ? AND holder = ?`,
    [seconds, tenant, sessionId, holder],
  );
  return renewed.affectedRows === 1;
}

export async function releaseCompactionLease(db: Queryable, tenant: string, sessionId: string, holder: string): Promise<void> {
  await execute(db, 'DELETE FROM compaction_leases WHERE tenant = ? AND session_id = ? AND holder = ?', [tenant, sessionId, holder]);
}

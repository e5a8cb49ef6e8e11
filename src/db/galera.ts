import mysql from 'mysql2/promise';
import { connectionOptions, type Queryable } from './pool.js';
import type { DatabaseTarget } from './target.js';

/** wsrep_local_state 4: the node holds every committed write and applies new ones as they come. */
const SYNCED = '4';

/**
 * Whether the server is a Galera cluster node (wsrep_on): then the service sets wsrep_sync_wait on
 * its connections and /readyz checks the node's cluster state. Asked once, at the start.
 */
export async function isGaleraNode(target: DatabaseTarget): Promise<boolean> {
  const connection = await mysql.createConnection(connectionOptions(target));
  try {
    const [rows] = await connection.query("SHOW GLOBAL VARIABLES LIKE 'wsrep_on'");
    return (rows as { Value?: string }[])[0]?.Value === 'ON';
  } finally {
    await connection.end().catch(() => undefined);
  }
}

/**
 * Why a Galera node should not take requests now, or undefined when it should: it must be ready
 * (wsrep_ready), part of the primary component (a node cut off from the majority refuses or
 * serves stale data) and synced (wsrep_local_state 4; a joiner lacks writes, and a donor feeding
 * a joiner by rsync blocks its writes until the copy is done). `db` must not wait for causality
 * (wsrep_sync_wait 0): on a donor that wait itself is what stalls.
 */
export async function galeraNotReady(db: Queryable): Promise<string | undefined> {
  const [rows] = await db.query(
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_local_state', 'wsrep_local_state_comment', 'wsrep_cluster_status')",
  );
  const status = Object.fromEntries((rows as { Variable_name: string; Value: string }[]).map((row) => [row.Variable_name.toLowerCase(), row.Value]));
  if (status.wsrep_cluster_status !== 'Primary') return `the database node is not part of the primary component of its cluster (${status.wsrep_cluster_status ?? 'unknown'})`;
  if (status.wsrep_ready !== 'ON') return 'the database node is not ready (wsrep_ready is OFF)';
  if (status.wsrep_local_state !== SYNCED) return `the database node is not synced with its cluster (${status.wsrep_local_state_comment ?? status.wsrep_local_state ?? 'unknown'})`;
  return undefined;
}

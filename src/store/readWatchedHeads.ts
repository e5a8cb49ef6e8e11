import { dbInstant, type DbInstant } from '../core/time.js';
import { selectRows, type Queryable } from '../db/pool.js';

/** A session the change feed watches, and what it last saw of its head row. */
export interface WatchedHead {
  tenant: string;
  sessionId: string;
  /** The head version the feed has delivered up to. */
  version: number;
  /** The head row's created_at when the feed began watching: another one means purged and created again. */
  createdAt: DbInstant;
}

/** A watched session whose head row is no longer what the feed saw. */
export interface ChangedHead {
  /** Its place in the list the poll was given. */
  index: number;
  /** Undefined when the session has no head row any more (purged). */
  head: { version: number; createdAt: DbInstant; deletedAt: DbInstant | null } | undefined;
}

interface ChangedHeadRow {
  n: number;
  head_version: number | null;
  created_at: string | null;
  deleted_at: string | null;
}

/**
 * The change feed's poll: one statement for every watched session together, whose cost does not
 * depend on how many streams watch each one. The watched sessions travel as one JSON parameter
 * (one prepared statement whatever their number) and are joined to the head rows by primary key;
 * only the sessions whose head moved, was tombstoned, purged or purged and created again come
 * back, so an idle poll returns no rows.
 */
export async function readWatchedHeads(db: Queryable, watched: readonly WatchedHead[]): Promise<ChangedHead[]> {
  if (watched.length === 0) return [];
  const list = JSON.stringify(watched.map((w) => [w.tenant, w.sessionId, w.version, w.createdAt]));
  const rows = await selectRows<ChangedHeadRow>(
    db,
    `SELECT w.n, s.head_version, s.created_at, s.deleted_at
     FROM JSON_TABLE(?, '$[*]' COLUMNS (
            n          FOR ORDINALITY,
            tenant     VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin PATH '$[0]',
            session_id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin PATH '$[1]',
            version    INT UNSIGNED PATH '$[2]',
            created_at DATETIME(6)  PATH '$[3]')) AS w
     LEFT JOIN sessions s ON s.tenant = w.tenant AND s.session_id = w.session_id
     WHERE s.session_id IS NULL OR s.head_version <> w.version OR s.deleted_at IS NOT NULL OR s.created_at <> w.created_at`,
    [list],
  );
  return rows.map((row) => ({
    index: row.n - 1,
    head:
      row.head_version === null || row.created_at === null
        ? undefined
        : {
            version: row.head_version,
            createdAt: dbInstant(row.created_at),
            deletedAt: row.deleted_at === null ? null : dbInstant(row.deleted_at),
          },
  }));
}

import { selectRows, type Queryable } from '../db/pool.js';
import type { EncodedBody } from './codec.js';
import { EVENT_METADATA_COLUMNS, storedPatch, toEventMetadata, type EventMetadata, type EventMetadataRow, type PatchRow } from './eventMetadata.js';

/** Versions `from`..`to` (both included) of one session. */
export interface VersionRange {
  tenant: string;
  sessionId: string;
  from: number;
  to: number;
}

export interface FeedEventRecord extends EventMetadata {
  tenant: string;
  sessionId: string;
  /** The stored patch, when the version is stored as one and its patch is at most `patchLimit` bytes. */
  patch: EncodedBody | undefined;
  /** The whole state, when the version is stored whole (a checkpoint) and its patch would be at most `patchLimit` bytes. */
  wholeState: EncodedBody | undefined;
}

interface FeedEventRow extends EventMetadataRow, PatchRow {
  feed_tenant: string;
  feed_session_id: string;
  whole_state: Buffer | null;
  whole_state_encoding: number | null;
}

/**
 * The events of several sessions' version ranges in one statement (the change feed's read after a
 * poll saw heads move, and a stream's catch-up), in (session, version) order, with the body that
 * makes each a patch from the version before when that patch is at most `patchLimit` bytes: the
 * stored patch, or the checkpoint of a version stored whole. Larger bodies are not read at all.
 */
export async function readFeedEvents(db: Queryable, ranges: readonly VersionRange[], patchLimit: number): Promise<FeedEventRecord[]> {
  if (ranges.length === 0) return [];
  const list = JSON.stringify(ranges.map((r) => [r.tenant, r.sessionId, r.from, r.to]));
  const rows = await selectRows<FeedEventRow>(
    db,
    `SELECT r.tenant AS feed_tenant, r.session_id AS feed_session_id, ${EVENT_METADATA_COLUMNS},
       IF(e.patch_bytes <= ?, e.patch, NULL) AS patch, e.patch_encoding,
       IF(e.patch IS NULL AND e.patch_bytes <= ?,
          (SELECT c.body FROM checkpoints c WHERE c.tenant = e.tenant AND c.session_id = e.session_id AND c.version = e.version),
          NULL) AS whole_state,
       IF(e.patch IS NULL AND e.patch_bytes <= ?,
          (SELECT c.encoding FROM checkpoints c WHERE c.tenant = e.tenant AND c.session_id = e.session_id AND c.version = e.version),
          NULL) AS whole_state_encoding
     FROM JSON_TABLE(?, '$[*]' COLUMNS (
            tenant       VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin PATH '$[0]',
            session_id   VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin PATH '$[1]',
            from_version INT UNSIGNED PATH '$[2]',
            to_version   INT UNSIGNED PATH '$[3]')) AS r
     STRAIGHT_JOIN events e ON e.tenant = r.tenant AND e.session_id = r.session_id AND e.version BETWEEN r.from_version AND r.to_version
     ORDER BY r.tenant, r.session_id, e.version`,
    [patchLimit, patchLimit, patchLimit, list],
  );
  return rows.map((row) => ({
    ...toEventMetadata(row),
    tenant: row.feed_tenant,
    sessionId: row.feed_session_id,
    patch: storedPatch(row),
    wholeState: row.whole_state === null || row.whole_state_encoding === null ? undefined : { encoding: row.whole_state_encoding, body: row.whole_state },
  }));
}

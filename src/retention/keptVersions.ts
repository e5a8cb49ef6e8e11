import type { Queryable } from '../db/pool.js';
import { GoneError, NotFoundError } from '../errors.js';
import { readFirstVersion } from '../store/sessionBase.js';

/**
 * The 410 for a version (or an instant) that retention removed: it names the session's first
 * available version, in the detail and as `first_version`.
 */
export function versionRemoved(sessionId: string, what: string, firstVersion: number): GoneError {
  return new GoneError(
    `session ${sessionId} no longer has ${what}: its history was compacted by its retention policy and starts at version ${firstVersion}`,
    { first_version: firstVersion },
  );
}

/** Throws the 410 when `version` is below the session's first kept version. */
export async function requireKeptVersion(db: Queryable, tenant: string, sessionId: string, version: number): Promise<void> {
  const first = await readFirstVersion(db, tenant, sessionId);
  if (version < first) throw versionRemoved(sessionId, `version ${version}`, first);
}

/**
 * Runs a read of a version's rows; a NotFoundError from it (the rows were deleted by a compaction
 * that began after the version was checked) becomes the 410 when the version is now below the
 * base.
 */
export async function readingKeptVersion<T>(db: Queryable, tenant: string, sessionId: string, version: number, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof NotFoundError) await requireKeptVersion(db, tenant, sessionId, version);
    throw error;
  }
}

import { UnprocessableError } from '../errors.js';
import { lockSessionHead } from '../store/lockSessionHead.js';
import type { StoreContext } from './context.js';
import { requireLive } from './liveSession.js';
import { resolveVersion } from './load.js';
import { rebuildState } from './rebuildState.js';
import { readingKeptVersion } from '../retention/keptVersions.js';
import type { WriteAnswer } from './writeAnswer.js';
import { writeState, type WriteConditions } from './writeState.js';

/** A new session `to` whose version 1 is a version of `sessionId` (its head by default). */
export function forkSession(
  ctx: StoreContext,
  tenant: string,
  sessionId: string,
  to: string,
  version: number | undefined,
  conditions: WriteConditions,
): Promise<WriteAnswer> {
  return writeState(ctx, {
    tenant,
    sessionId: to,
    kind: 'fork',
    conditions,
    fingerprint: { from: sessionId, version: version ?? null },
    requires: 'new',
    next: async (connection) => {
      // A shared lock: the source cannot be purged or deleted while it is being copied.
      const source = requireLive((await lockSessionHead(connection, tenant, sessionId, 'share')).head, sessionId);
      // A version the source does not have is a 422, as for restore: the request names a resource
      // that exists (the source session) and asks for something it does not hold.
      const sourceVersion = await resolveVersion(
        connection,
        source,
        version === undefined ? { latest: true } : { version },
        (detail) => new UnprocessableError(detail),
      );
      const { state } = await readingKeptVersion(connection, tenant, sessionId, sourceVersion, () =>
        rebuildState(connection, ctx.work, tenant, sessionId, sourceVersion),
      );
      return { next: { state }, forkedFrom: { sessionId, version: sourceVersion } };
    },
  });
}

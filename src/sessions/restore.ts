import { UnprocessableError } from '../errors.js';
import type { StoreContext } from './context.js';
import { resolveVersion } from './load.js';
import { rebuildState } from './rebuildState.js';
import { readingKeptVersion } from '../retention/keptVersions.js';
import type { WriteAnswer } from './writeAnswer.js';
import { writeState, type WriteConditions } from './writeState.js';

/** Appends a new version equal to an earlier one; nothing is removed. */
export function restoreState(
  ctx: StoreContext,
  tenant: string,
  sessionId: string,
  target: { version: number } | { at: string },
  conditions: WriteConditions,
): Promise<WriteAnswer> {
  return writeState(ctx, {
    tenant,
    sessionId,
    kind: 'restore',
    conditions,
    fingerprint: { target },
    requires: 'existing',
    next: async (connection, head) => {
      const version = await resolveVersion(connection, head!, target, (detail) => new UnprocessableError(detail));
      const { state } = await readingKeptVersion(connection, tenant, sessionId, version, () => rebuildState(connection, ctx.work, tenant, sessionId, version));
      return { next: { state }, restoredFrom: version };
    },
  });
}

import { withTransaction } from '../db/transaction.js';
import { GoneError, NotFoundError, PreconditionFailedError } from '../errors.js';
import { purgeSession, tombstoneSession } from '../store/deleteSession.js';
import { lockSessionHead } from '../store/readSessionHead.js';
import type { StoreContext } from './context.js';

/**
 * DELETE. A tombstone keeps every row and makes the session answer 410 from then on. A purge
 * (for erasure requests, allowed on a tombstoned session too) removes every row: the id is then
 * unknown and free for reuse.
 */
export async function deleteSession(
  ctx: StoreContext,
  tenant: string,
  sessionId: string,
  options: { purge: boolean; ifMatch: number | '*' | undefined },
): Promise<void> {
  await withTransaction(
    ctx.pool,
    async (connection) => {
      const { head, now } = await lockSessionHead(connection, tenant, sessionId);
      if (!head) throw new NotFoundError(`session ${sessionId} does not exist`);
      if (head.deletedAt && !options.purge) throw new GoneError(`session ${sessionId} was deleted`);
      if (options.ifMatch !== undefined && options.ifMatch !== '*' && options.ifMatch !== head.headVersion) {
        throw new PreconditionFailedError(`session ${sessionId} is at version ${head.headVersion}, not ${options.ifMatch} (If-Match)`, {
          current_version: head.headVersion,
        });
      }
      if (options.purge) await purgeSession(connection, tenant, sessionId);
      else await tombstoneSession(connection, tenant, sessionId, now);
    },
    ctx.transactions,
  );
  ctx.cache.delete(tenant, sessionId);
}

import { withTransaction } from '../db/transaction.js';
import { lockSessionHead } from '../store/lockSessionHead.js';
import { purgeSession } from '../store/purgeSession.js';
import { tombstoneSession } from '../store/tombstoneSession.js';
import type { StoreContext } from './context.js';
import { expectSession, type IfMatch } from './expectedVersion.js';
import { firstAnswer, idempotentRequest, recordAnswer } from './idempotency.js';

/**
 * DELETE. A tombstone keeps every row and makes the session answer 410 from then on. A purge
 * (for erasure requests, allowed on a tombstoned session too) removes every row: the id is then
 * unknown and free for reuse.
 */
export async function deleteSession(
  ctx: StoreContext,
  tenant: string,
  sessionId: string,
  options: { purge: boolean; ifMatch: IfMatch | undefined; idempotencyKey?: string | undefined },
): Promise<void> {
  const request = idempotentRequest(options.idempotencyKey, { tenant, sessionId, kind: 'delete', fingerprint: { purge: options.purge } });
  await withTransaction(
    ctx.pool,
    async (connection) => {
      const { head, now } = await lockSessionHead(connection, tenant, sessionId);
      // A retried tombstone answers as the first time. (A purge keeps no record: it erases
      // everything of the session, so its retry finds nothing: 404.)
      if ((await firstAnswer(connection, request, head, { now, ttlSeconds: ctx.idempotencyTtlSeconds })) !== undefined) return;
      expectSession(sessionId, head, { exists: 'existing', deletedAllowed: options.purge, ifMatch: options.ifMatch });
      if (options.purge) {
        await purgeSession(connection, tenant, sessionId);
      } else {
        await tombstoneSession(connection, tenant, sessionId, now);
        await recordAnswer(connection, request, { status: 204, response: '' }, now);
      }
    },
    ctx.transactions,
  );
  ctx.cache.delete(tenant, sessionId);
}

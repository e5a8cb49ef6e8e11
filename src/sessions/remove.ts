import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/json.js';
import { withTransaction } from '../db/transaction.js';
import { GoneError, NotFoundError, PreconditionFailedError, UnprocessableError } from '../errors.js';
import { readIdempotencyRecord, writeIdempotencyRecord } from '../store/idempotencyRecords.js';
import { purgeSession, tombstoneSession } from '../store/deleteSession.js';
import { lockSessionHead } from '../store/readSessionHead.js';
import type { StoreContext } from './context.js';
import { ifMatchFailure } from './writeState.js';

/**
 * DELETE. A tombstone keeps every row and makes the session answer 410 from then on. A purge
 * (for erasure requests, allowed on a tombstoned session too) removes every row: the id is then
 * unknown and free for reuse.
 */
export async function deleteSession(
  ctx: StoreContext,
  tenant: string,
  sessionId: string,
  options: { purge: boolean; ifMatch: ReadonlySet<number> | '*' | undefined; idempotencyKey?: string | undefined },
): Promise<void> {
  const requestHash = createHash('sha256').update(canonicalJson(['delete', sessionId, { purge: options.purge }])).digest();
  await withTransaction(
    ctx.pool,
    async (connection) => {
      const { head, now } = await lockSessionHead(connection, tenant, sessionId);
      if (!head) throw new NotFoundError(`session ${sessionId} does not exist`);
      // A retried tombstone answers as the first time. (A purge keeps no record: it erases
      // everything of the session, so its retry finds nothing: 404.)
      if (options.idempotencyKey !== undefined) {
        const record = await readIdempotencyRecord(connection, tenant, sessionId, options.idempotencyKey);
        if (record) {
          if (!record.requestHash.equals(requestHash)) {
            throw new UnprocessableError('this Idempotency-Key was already used with a different request');
          }
          return;
        }
      }
      if (head.deletedAt && !options.purge) throw new GoneError(`session ${sessionId} was deleted`);
      if (options.ifMatch !== undefined && options.ifMatch !== '*' && !options.ifMatch.has(head.headVersion)) {
        throw new PreconditionFailedError(ifMatchFailure(sessionId, head.headVersion, options.ifMatch), {
          current_version: head.headVersion,
        });
      }
      if (options.purge) {
        await purgeSession(connection, tenant, sessionId);
      } else {
        await tombstoneSession(connection, tenant, sessionId, now);
        if (options.idempotencyKey !== undefined) {
          await writeIdempotencyRecord(connection, tenant, sessionId, options.idempotencyKey, { requestHash, status: 204, response: '' }, now);
        }
      }
    },
    ctx.transactions,
  );
  ctx.cache.delete(tenant, sessionId);
}

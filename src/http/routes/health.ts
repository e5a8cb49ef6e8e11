import { readFileSync } from 'node:fs';
import type Router from '@koa/router';
import { migrationNames, migrationStatus } from '../../db/migrate.js';
import type { StorageProblem } from '../../db/localMariadb.js';
import type { Pool } from '../../db/pool.js';
import { databaseUnavailable } from '../../db/errors.js';
import { galeraNotReady } from '../../db/galera.js';
import { ServiceUnavailableError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { openapiPath } from '../../paths.js';
import { checkRequest } from '../validation.js';
import type { Guards } from '../auth.js';
import { createRouter } from '../routing.js';

/** Fixed texts for callers (the details, paths and figures, go to the log). */
export const STORAGE_UNAVAILABLE: Record<StorageProblem['reason'], string> = {
  missing: "the database's data folder is missing: writes are refused until it is back",
  full: 'the disk holding the database is full: writes are refused until space is freed',
};

/** Liveness, readiness and the contract: open to everyone. */
export function healthRoutes(
  pool: Pool,
  access: Guards,
  {
    logger,
    storage,
    galera,
  }: { logger: Logger; storage?: (() => StorageProblem | undefined) | undefined; galera?: { wsrepSyncWait: number } | undefined },
): Router {
  const router = createRouter();
  const expected = migrationNames();
  const contract = readFileSync(openapiPath, 'utf8');

  router.get('/healthz', access.public, (c) => {
    checkRequest(c, 'health');
    c.body = { status: 'ok' };
  });

  // Logged when it changes, not at every probe.
  let reported: string | undefined;
  let reportedCluster: string | undefined;
  router.get('/readyz', access.public, async (c) => {
    checkRequest(c, 'ready');
    const problem = storage?.();
    if (problem?.reason !== reported) {
      if (problem) logger.error('not ready: the database cannot take writes', { reason: problem.reason, detail: problem.detail });
      else logger.info('ready again: the database can take writes');
      reported = problem?.reason;
    }
    if (problem) throw new ServiceUnavailableError(STORAGE_UNAVAILABLE[problem.reason]);
    let status: { applied: string[]; pending: string[] };
    let notSynced: string | undefined;
    try {
      if (galera) notSynced = await clusterProblem(pool, galera.wsrepSyncWait);
      if (!notSynced) status = await migrationStatus(pool, expected);
    } catch (error) {
      // Callers get fixed text; the driver's message (paths, users, hosts) goes to the log only.
      logger.warn('not ready: the database did not answer the readiness query', { error });
      throw new ServiceUnavailableError(databaseUnavailable(error)?.detail ?? 'the database is not reachable');
    }
    if (notSynced !== reportedCluster) {
      if (notSynced) logger.warn('not ready: the Galera node cannot serve', { detail: notSynced });
      else if (reportedCluster) logger.info('ready again: the Galera node is synced in the primary component');
      reportedCluster = notSynced;
    }
    if (notSynced) throw new ServiceUnavailableError(notSynced);
    const { applied, pending } = status!;
    if (pending.length > 0) throw new ServiceUnavailableError(`migrations not applied yet: ${pending.join(', ')}`);
    c.body = { status: 'ready', migrations: applied.length };
  });

  router.get('/openapi.yaml', access.public, (c) => {
    checkRequest(c, 'contract');
    c.type = 'application/yaml';
    c.body = contract;
  });

  return router;
}

/**
 * The Galera node's state, read on a pooled connection without the causality wait (on a donor
 * that wait is what stalls), which then gets its setting back.
 */
async function clusterProblem(pool: Pool, wsrepSyncWait: number): Promise<string | undefined> {
  const connection = await pool.getConnection();
  let problem: string | undefined;
  try {
    await connection.query('SET SESSION wsrep_sync_wait = 0');
    problem = await galeraNotReady(connection);
    await connection.query(`SET SESSION wsrep_sync_wait = ${Number(wsrepSyncWait)}`);
  } catch (error) {
    // Its setting is not known to be back: never reuse it.
    connection.destroy();
    throw error;
  }
  connection.release();
  return problem;
}

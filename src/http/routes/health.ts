import { readFileSync } from 'node:fs';
import Router from '@koa/router';
import { appliedMigrations, migrationNames } from '../../db/migrate.js';
import type { Pool } from '../../db/pool.js';
import { ServiceUnavailableError } from '../../errors.js';
import { openapiPath } from '../../paths.js';
import { parseQuery } from '../validation.js';
import type { Guards } from '../auth.js';
import { createRouter } from '../routing.js';

/** Liveness, readiness and the contract: open to everyone. */
export function healthRoutes(pool: Pool, access: Guards): Router {
  const router = createRouter();
  const expected = migrationNames();
  const contract = readFileSync(openapiPath, 'utf8');

  router.get('/healthz', access.public, (c) => {
    parseQuery(c, {});
    c.body = { status: 'ok' };
  });

  router.get('/readyz', access.public, async (c) => {
    parseQuery(c, {});
    let applied: string[];
    try {
      applied = await appliedMigrations(pool);
    } catch (error) {
      throw new ServiceUnavailableError(`the database is not reachable: ${(error as Error).message}`);
    }
    const pending = expected.filter((name) => !applied.includes(name));
    if (pending.length > 0) throw new ServiceUnavailableError(`migrations not applied yet: ${pending.join(', ')}`);
    c.body = { status: 'ready', migrations: applied.length };
  });

  router.get('/openapi.yaml', access.public, (c) => {
    parseQuery(c, {});
    c.type = 'application/yaml';
    c.body = contract;
  });

  return router;
}

import Router from '@koa/router';
import type { Principal } from '../../access/authenticate.js';
import { createKey, listKeys, revokeKey } from '../../access/keys.js';
import { formatInstant } from '../../core/time.js';
import type { Pool } from '../../db/pool.js';
import { NotFoundError } from '../../errors.js';
import type { ApiKey } from '../../store/apiKeys.js';
import { checkRequest, instantWithin, requestDocument } from '../validation.js';
import type { Guards } from '../auth.js';
import { createRouter } from '../routing.js';

export function keyView(key: ApiKey): Record<string, unknown> {
  return {
    id: key.id,
    tenant: key.tenant,
    role: key.role,
    description: key.description,
    created_at: formatInstant(key.createdAt),
    last_used_at: key.lastUsedAt && formatInstant(key.lastUsedAt),
    expires_at: key.expiresAt && formatInstant(key.expiresAt),
    revoked_at: key.revokedAt && formatInstant(key.revokedAt),
    rate_per_second: key.ratePerSecond,
    rate_burst: key.rateBurst,
  };
}

/** An admin key manages the keys of its own tenant. */
/** `forget`: drops what this process's authenticator knows of a revoked key, so its next request here is refused. */
export function keyRoutes(pool: Pool, access: Guards, maxDepth: number, forget: (keyId: string) => void): Router {
  const router = createRouter();
  const principalOf = (c: { state: { principal?: Principal } }): Principal => c.state.principal!;

  router.get('/v1/keys', access.admin, async (c) => {
    checkRequest(c, 'listKeys');
    c.body = { items: (await listKeys(pool, principalOf(c).tenant)).map(keyView) };
  });

  router.post('/v1/keys', access.admin, async (c) => {
    checkRequest(c, 'createKey');
    const body = requestDocument(c, 'createKey', maxDepth);
    const expiresAt = body.expires_at === undefined ? undefined : instantWithin(body.expires_at, 'expires_at');
    const created = await createKey(pool, {
      tenant: principalOf(c).tenant,
      role: body.role,
      expiresAt,
      description: body.description,
      ratePerSecond: body.rate_per_second,
      rateBurst: body.rate_burst,
    });
    c.status = 201;
    c.body = { ...keyView(created.key), token: created.token };
  });

  router.delete('/v1/keys/:id', access.admin, async (c) => {
    const { path } = checkRequest(c, 'revokeKey');
    if (!(await revokeKey(pool, path.id, principalOf(c).tenant))) throw new NotFoundError(`there is no live key ${path.id} in this tenant`);
    forget(path.id);
    c.status = 204;
  });

  return router;
}

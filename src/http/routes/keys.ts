import Router from '@koa/router';
import type { Principal } from '../../access/authenticate.js';
import { createKey, listKeys, revokeKey, ROLES } from '../../access/keys.js';
import { FIRST_INSTANT, formatInstant, LAST_INSTANT, parseInstant } from '../../core/time.js';
import type { Pool } from '../../db/pool.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { ApiKey, Role } from '../../store/apiKeys.js';
import { JSON_TYPE, readJsonBody, assertNoBody } from '../body.js';
import { bodyValidator, parseQuery } from '../validation.js';
import type { Guards } from '../auth.js';
import { createRouter } from '../routing.js';

interface KeyBody {
  role: Role;
  expires_at?: string;
  description?: string;
  rate_per_second?: number;
  rate_burst?: number;
}

const validateKeyBody = bodyValidator<KeyBody>(
  {
    type: 'object',
    required: ['role'],
    additionalProperties: false,
    properties: {
      role: { enum: ROLES },
      expires_at: { type: 'string', maxLength: 64 },
      description: { type: 'string', maxLength: 200 },
      rate_per_second: { type: 'number', exclusiveMinimum: 0, maximum: 1000000 },
      rate_burst: { type: 'integer', minimum: 1, maximum: 1000000 },
    },
  },
  'the key request must be {"role": "read" | "write" | "admin", ...}',
);

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
export function keyRoutes(pool: Pool, access: Guards, maxDepth: number): Router {
  const router = createRouter();
  const principalOf = (c: { state: { principal?: Principal } }): Principal => c.state.principal!;

  router.get('/v1/keys', access.admin, async (c) => {
    parseQuery(c, {});
    c.body = { items: (await listKeys(pool, principalOf(c).tenant)).map(keyView) };
  });

  router.post('/v1/keys', access.admin, async (c) => {
    parseQuery(c, {});
    const body = validateKeyBody(readJsonBody(c, JSON_TYPE, maxDepth));
    const expiresAt = body.expires_at === undefined ? undefined : parseInstant(body.expires_at);
    if (body.expires_at !== undefined && expiresAt === undefined) {
      throw new ValidationError(`expires_at must be an RFC 3339 date-time from ${FIRST_INSTANT} to ${LAST_INSTANT}, not "${body.expires_at}"`);
    }
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
    parseQuery(c, {});
    assertNoBody(c);
    const id = c.params.id ?? '';
    if (!/^[0-9a-f]{12}$/.test(id) || !(await revokeKey(pool, id, principalOf(c).tenant))) {
      throw new NotFoundError(`there is no live key ${id} in this tenant`);
    }
    c.status = 204;
  });

  return router;
}

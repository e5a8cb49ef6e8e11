import type Router from '@koa/router';
import type { Principal } from '../../access/authenticate.js';
import type { Guards } from '../auth.js';
import { checkRequest } from '../validation.js';
import { createRouter } from '../routing.js';

/** Who the caller's key is: what a client (the history page) needs to offer only what the key may do. */
export function identityRoutes(access: Guards): Router {
  const router = createRouter();

  router.get('/v1/whoami', access.read, (c) => {
    checkRequest(c, 'whoami');
    const principal = c.state.principal as Principal;
    c.body = { key_id: principal.keyId, tenant: principal.tenant, role: principal.role };
  });

  return router;
}

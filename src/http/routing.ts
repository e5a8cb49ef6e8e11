import Router from '@koa/router';
import { accessOf, type Access } from './auth.js';

/**
 * A router that matches a path only as written: case-sensitive, and no optional trailing slash
 * (`strict`). The path is compared as sent, percent-escapes and all (only parameter values are
 * decoded), so each route has exactly one spelling: `/V1/keys`, `/v1/KEYS`, `/v1/keys/`,
 * `//v1/keys`, `/v1/%6Beys` or `/v1/keys;x` match no route and answer 404.
 */
export function createRouter(): Router {
  return new Router({ sensitive: true, strict: true });
}

/**
 * Every route as "METHOD /path/{param}" with the access it declares, after checking what makes
 * the guards sound, so that a route added without them stops the server at start: each route
 * matches exactly, names a guard (auth.ts) as its first middleware, and no router-level
 * middleware exists (it would run before the guard of the route it precedes).
 */
export function declaredRoutes(routers: Router[]): Array<{ route: string; access: Access }> {
  return routers.flatMap((router) =>
    router.stack.flatMap((layer) => {
      const path = layer.path.toString().replace(/:(\w+)/g, '{$1}');
      if (layer.methods.length === 0) throw new Error(`router-level middleware on ${path} would run before the route's guard`);
      if (!layer.opts.sensitive || !layer.opts.strict || layer.regexp.flags.includes('i')) {
        throw new Error(`${layer.methods.join(',')} ${path} is not matched exactly: build its router with createRouter()`);
      }
      const access = accessOf(layer.stack[0]);
      if (access === undefined) throw new Error(`${layer.methods.join(',')} ${path} declares no access: name a guard as its first middleware`);
      return layer.methods.filter((method) => method !== 'HEAD').map((method) => ({ route: `${method} ${path}`, access }));
    }),
  );
}

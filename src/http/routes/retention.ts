import Router, { type RouterContext } from '@koa/router';
import type { EffectivePolicy } from '../../retention/policy.js';
import {
  clearSessionPolicy,
  clearTenantPolicy,
  serviceRulesOf,
  sessionPolicy,
  setSessionPolicy,
  setTenantPolicy,
  tenantPolicy,
  type SessionPolicy,
} from '../../retention/policies.js';
import type { StoreContext } from '../../sessions/context.js';
import type { RetentionRules } from '../../store/retentionPolicies.js';
import type { AppConfig } from '../app.js';
import type { Guards } from '../auth.js';
import { createRouter } from '../routing.js';
import { checkRequest, requestDocument } from '../validation.js';

function policyView(policy: EffectivePolicy): Record<string, unknown> {
  return {
    source: policy.source,
    ...(policy.rules.keepVersions !== undefined ? { keep_versions: policy.rules.keepVersions } : {}),
    ...(policy.rules.keepDays !== undefined ? { keep_days: policy.rules.keepDays } : {}),
  };
}

function sessionPolicyView(policy: SessionPolicy): Record<string, unknown> {
  return { session_id: policy.sessionId, ...policyView(policy), first_version: policy.firstVersion, head_version: policy.headVersion };
}

/** GET/PUT/DELETE /v1/retention (a tenant's policy, admin) and /v1/sessions/{sid}/retention (one session's). */
export function retentionRoutes(
  ctx: StoreContext,
  access: Guards,
  tenantOf: (c: RouterContext) => string,
  config: Pick<AppConfig, 'retentionKeepVersions' | 'retentionKeepDays' | 'maxJsonDepth'>,
): Router {
  const router = createRouter();
  const serviceRules = serviceRulesOf(config);
  const rulesOf = (body: { keep_versions?: number; keep_days?: number }): RetentionRules => ({
    ...(body.keep_versions !== undefined ? { keepVersions: body.keep_versions } : {}),
    ...(body.keep_days !== undefined ? { keepDays: body.keep_days } : {}),
  });

  router.get('/v1/retention', access.admin, async (c) => {
    checkRequest(c, 'readTenantRetention');
    c.body = policyView(await tenantPolicy(ctx.pool, tenantOf(c), serviceRules));
  });
  router.put('/v1/retention', access.admin, async (c) => {
    checkRequest(c, 'setTenantRetention');
    const body = requestDocument(c, 'setTenantRetention', config.maxJsonDepth);
    c.body = policyView(await setTenantPolicy(ctx.pool, tenantOf(c), rulesOf(body), serviceRules));
  });
  router.delete('/v1/retention', access.admin, async (c) => {
    checkRequest(c, 'clearTenantRetention');
    c.body = policyView(await clearTenantPolicy(ctx.pool, tenantOf(c), serviceRules));
  });

  router.get('/v1/sessions/:sid/retention', access.read, async (c) => {
    const { path } = checkRequest(c, 'readSessionRetention');
    c.body = sessionPolicyView(await sessionPolicy(ctx.pool, tenantOf(c), path.sid, serviceRules));
  });
  router.put('/v1/sessions/:sid/retention', access.write, async (c) => {
    const { path } = checkRequest(c, 'setSessionRetention');
    const body = requestDocument(c, 'setSessionRetention', config.maxJsonDepth);
    c.body = sessionPolicyView(await setSessionPolicy(ctx.pool, tenantOf(c), path.sid, rulesOf(body), serviceRules));
  });
  router.delete('/v1/sessions/:sid/retention', access.write, async (c) => {
    const { path } = checkRequest(c, 'clearSessionRetention');
    c.body = sessionPolicyView(await clearSessionPolicy(ctx.pool, tenantOf(c), path.sid, serviceRules));
  });

  return router;
}

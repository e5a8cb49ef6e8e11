import Router, { type RouterContext } from '@koa/router';
import { ConflictError } from '../../errors.js';
import { compactSession } from '../../retention/compact.js';
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
import { sessionNotFound } from '../../sessions/liveSession.js';
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

/**
 * GET/PUT/DELETE /v1/retention (a tenant's policy, admin), /v1/sessions/{sid}/retention (one
 * session's), and POST /v1/sessions/{sid}/compact (apply rules to one session now).
 */
export function retentionRoutes(
  ctx: StoreContext,
  access: Guards,
  tenantOf: (c: RouterContext) => string,
  config: Pick<AppConfig, 'retentionKeepVersions' | 'retentionKeepDays' | 'maxJsonDepth' | 'compactionBatchRows'>,
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
  router.post('/v1/sessions/:sid/compact', access.write, async (c) => {
    const { path } = checkRequest(c, 'compactSession');
    const body = requestDocument(c, 'compactSession', config.maxJsonDepth);
    const tenant = tenantOf(c);
    // 404 or 410 for a session that is not there, and the rules `{}` stands for.
    const policy = await sessionPolicy(ctx.pool, tenant, path.sid, serviceRules);
    const given = rulesOf(body);
    const rules = Object.keys(given).length > 0 ? given : policy.rules;
    const result = await compactSession(ctx, tenant, path.sid, rules, { batchRows: config.compactionBatchRows });
    if (result.skipped === 'missing') throw sessionNotFound(path.sid);
    if (result.skipped === 'busy') throw new ConflictError(`another compaction of session ${path.sid} is running; retry when it is done`);
    c.body = {
      session_id: path.sid,
      head_version: result.headVersion,
      first_version_before: result.firstVersionBefore,
      first_version: result.firstVersion,
      events_removed: result.eventsRemoved,
      checkpoints_removed: result.checkpointsRemoved,
      bytes_reclaimed: result.bytesReclaimed,
    };
  });

  return router;
}

import type { Queryable } from '../db/pool.js';
import { requireLiveSession } from '../sessions/liveSession.js';
import { deleteRetentionPolicy, readRetentionPolicy, TENANT_POLICY, writeRetentionPolicy, type RetentionRules } from '../store/retentionPolicies.js';
import { readFirstVersion } from '../store/sessionBase.js';
import { effectivePolicy, type EffectivePolicy } from './policy.js';

export interface SessionPolicy extends EffectivePolicy {
  sessionId: string;
  firstVersion: number;
  headVersion: number;
}

export async function tenantPolicy(db: Queryable, tenant: string, serviceRules: RetentionRules): Promise<EffectivePolicy> {
  return effectivePolicy(undefined, await readRetentionPolicy(db, tenant, TENANT_POLICY), serviceRules);
}

export async function setTenantPolicy(db: Queryable, tenant: string, rules: RetentionRules, serviceRules: RetentionRules): Promise<EffectivePolicy> {
  await writeRetentionPolicy(db, tenant, TENANT_POLICY, rules);
  return tenantPolicy(db, tenant, serviceRules);
}

export async function clearTenantPolicy(db: Queryable, tenant: string, serviceRules: RetentionRules): Promise<EffectivePolicy> {
  await deleteRetentionPolicy(db, tenant, TENANT_POLICY);
  return tenantPolicy(db, tenant, serviceRules);
}

export async function sessionPolicy(db: Queryable, tenant: string, sessionId: string, serviceRules: RetentionRules): Promise<SessionPolicy> {
  const head = await requireLiveSession(db, tenant, sessionId);
  const [own, tenants, firstVersion] = await Promise.all([
    readRetentionPolicy(db, tenant, sessionId),
    readRetentionPolicy(db, tenant, TENANT_POLICY),
    readFirstVersion(db, tenant, sessionId),
  ]);
  return { ...effectivePolicy(own, tenants, serviceRules), sessionId, firstVersion, headVersion: head.headVersion };
}

export async function setSessionPolicy(db: Queryable, tenant: string, sessionId: string, rules: RetentionRules, serviceRules: RetentionRules): Promise<SessionPolicy> {
  await requireLiveSession(db, tenant, sessionId);
  await writeRetentionPolicy(db, tenant, sessionId, rules);
  return sessionPolicy(db, tenant, sessionId, serviceRules);
}

export async function clearSessionPolicy(db: Queryable, tenant: string, sessionId: string, serviceRules: RetentionRules): Promise<SessionPolicy> {
  await requireLiveSession(db, tenant, sessionId);
  await deleteRetentionPolicy(db, tenant, sessionId);
  return sessionPolicy(db, tenant, sessionId, serviceRules);
}

/** The service-wide default from the configuration: 0 is no rule. */
export function serviceRulesOf(config: { retentionKeepVersions: number; retentionKeepDays: number }): RetentionRules {
  return {
    ...(config.retentionKeepVersions > 0 ? { keepVersions: config.retentionKeepVersions } : {}),
    ...(config.retentionKeepDays > 0 ? { keepDays: config.retentionKeepDays } : {}),
  };
}

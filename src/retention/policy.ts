import type { RetentionRules } from '../store/retentionPolicies.js';

/** Where a session's policy comes from: its own row, its tenant's, or the service's configuration. */
export type PolicySource = 'session' | 'tenant' | 'service';

export interface EffectivePolicy {
  rules: RetentionRules;
  source: PolicySource;
}

/**
 * The policy that applies to a session: its own row if it has one, else its tenant's, else the
 * service-wide default (RETENTION_KEEP_VERSIONS / RETENTION_KEEP_DAYS, off unless set). A row
 * with no rule keeps everything, whatever is above it.
 */
export function effectivePolicy(
  sessionRules: RetentionRules | undefined,
  tenantRules: RetentionRules | undefined,
  serviceRules: RetentionRules,
): EffectivePolicy {
  if (sessionRules) return { rules: sessionRules, source: 'session' };
  if (tenantRules) return { rules: tenantRules, source: 'tenant' };
  return { rules: serviceRules, source: 'service' };
}

export function keepsEverything(rules: RetentionRules): boolean {
  return rules.keepVersions === undefined && rules.keepDays === undefined;
}

/**
 * The first version a policy keeps, given the head and (for keep_days) the first version saved
 * within the window (undefined: none was, so only the head is that recent). A version is dropped
 * only when every rule given lets it go, so with both rules the larger history is kept; the head
 * is always kept.
 */
export function firstKeptVersion(rules: RetentionRules, headVersion: number, firstWithinDays: number | undefined): number {
  if (keepsEverything(rules)) return 1;
  const kept: number[] = [];
  if (rules.keepVersions !== undefined) kept.push(Math.max(1, headVersion - rules.keepVersions + 1));
  if (rules.keepDays !== undefined) kept.push(firstWithinDays ?? headVersion);
  return Math.min(headVersion, ...kept);
}

export interface RateLimit {
  /** Tokens added per second; 0 or less: no limit. */
  perSecond: number;
  /** Bucket size: requests admitted at once after a quiet period. */
  burst: number;
}

/**
 * Token buckets, one per key, in this process. A request takes one token; an empty bucket
 * answers how long until the next token. Each key is limited on its own, so one tenant's flood is
 * refused before it does any work and does not use up another tenant's share. With several server
 * processes each keeps its own buckets (the effective limit is per process).
 */
export function createRateLimiter(now: () => number = () => performance.now()) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    /** Undefined when admitted; else seconds until a token is available. */
    take(key: string, limit: RateLimit): number | undefined {
      if (limit.perSecond <= 0) return undefined;
      const t = now();
      const bucket = buckets.get(key) ?? { tokens: limit.burst, at: t };
      bucket.tokens = Math.min(limit.burst, bucket.tokens + ((t - bucket.at) / 1000) * limit.perSecond);
      bucket.at = t;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return undefined;
      }
      return (1 - bucket.tokens) / limit.perSecond;
    },
  };
}

import type { Principal } from '../auth/principal';
import { clientBucket } from './client-bucket';

/** Budgets for callers without a valid key, per client IP (health checks, docs, 401s). */
export const ANONYMOUS_LIMITS = { perMinute: 300, perHour: 5_000 };
/** Each console session's own budget, never the plan's: the hour window cannot bind before the minute one. */
export const SESSION_LIMITS = { perMinute: 300, perHour: 18_000 };
/** Failed authentications allowed per client IP and minute before 429 replaces 401. */
export const AUTH_FAILURES_PER_MINUTE = 30;

export const MINUTE = { name: 'minute', ttl: 60_000 };
export const HOUR = { name: 'hour', ttl: 3_600_000 };

/** What a request is counted against: the console session, the key's account and environment, or the client IP. */
export function trackerFor(principal: Principal | undefined, ip: string | undefined): string {
  if (principal?.session) return `session:${principal.session.id}`;
  return principal ? `acct:${principal.accountId}:${principal.environment}` : `ip:${clientBucket(ip)}`;
}

export function limitFor(principal: Principal | undefined, window: 'minute' | 'hour'): number {
  if (principal) return window === 'minute' ? principal.rateLimitPerMinute : principal.rateLimitPerHour;
  return window === 'minute' ? ANONYMOUS_LIMITS.perMinute : ANONYMOUS_LIMITS.perHour;
}

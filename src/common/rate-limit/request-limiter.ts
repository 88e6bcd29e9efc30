import { Inject, Injectable } from '@nestjs/common';
import { DomainException } from '../errors/domain.exception';
import { ErrorCode } from '../errors/error-code';
import { MetricsService } from '../metrics/metrics.service';
import { clientBucket } from './client-bucket';
import { rateLimitHeaders, windowState, type WindowState } from './rate-limit-headers';
import { ANONYMOUS_LIMITS, AUTH_FAILURES_PER_MINUTE, HOUR, MINUTE } from './rate-limits';
import { ResilientStorage } from './resilient.storage';

/**
 * Per-IP budgets outside the throttler guard: failed authentications (which never reach it) and
 * the documentation routes Swagger serves straight from Fastify.
 */
@Injectable()
export class RequestLimiter {
  constructor(
    @Inject(ResilientStorage) private readonly storage: ResilientStorage,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Counts a refused authentication against the client IP. Invalid keys (missing, malformed,
   * unknown) get a tight budget, so keys cannot be guessed at speed; refusals of real keys
   * (revoked, expired, restricted...) count against the IP's anonymous budget. Past the budget
   * the refusal becomes a 429.
   */
  async countRefusal(ip: string | undefined, code: ErrorCode): Promise<DomainException | null> {
    if (code !== ErrorCode.Unauthorized) return (await this.countAnonymous(ip)).refusal;
    const windows = [await this.count(`lk:authfail:${clientBucket(ip)}`, 'auth-failures', MINUTE.ttl, AUTH_FAILURES_PER_MINUTE)];
    return windows[0].exceeded ? this.refusal(windows, 'invalid_key') : null;
  }

  /** Counts an unauthenticated request to a public route, or to a path no route matches, against the IP's anonymous budget. */
  async countAnonymous(ip: string | undefined): Promise<{ headers: Record<string, string>; refusal: DomainException | null }> {
    const tracker = `lk:ip:${clientBucket(ip)}`;
    const windows = [
      await this.count(tracker, MINUTE.name, MINUTE.ttl, ANONYMOUS_LIMITS.perMinute),
      await this.count(tracker, HOUR.name, HOUR.ttl, ANONYMOUS_LIMITS.perHour),
    ];
    return { headers: rateLimitHeaders(windows), refusal: windows.some((w) => w.exceeded) ? this.refusal(windows, 'anonymous') : null };
  }

  private refusal(windows: WindowState[], budget: 'invalid_key' | 'anonymous'): DomainException {
    this.metrics.rateLimitRejection(budget);
    return new DomainException(ErrorCode.RateLimited, undefined, undefined, rateLimitHeaders(windows));
  }

  private async count(key: string, name: string, ttl: number, limit: number): Promise<WindowState> {
    return windowState(name, limit, ttl, await this.storage.increment(key, ttl, limit, 1, name));
  }
}

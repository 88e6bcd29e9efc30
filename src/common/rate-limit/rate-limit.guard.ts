import { ExecutionContext, Injectable } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service';
import {
  InjectThrottlerOptions, InjectThrottlerStorage, ThrottlerGuard, type ThrottlerModuleOptions, type ThrottlerRequest, type ThrottlerStorage,
} from '@nestjs/throttler';
import { CachedReflector } from '../http/cached-reflector';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainException } from '../errors/domain.exception';
import { ErrorCode } from '../errors/error-code';
import { rateLimitHeaders, windowState, type WindowState } from './rate-limit-headers';
import { trackerFor } from './rate-limits';
import { ResilientStorage } from './resilient.storage';

const COUNTED = Promise.resolve(true);

const WINDOWS = Symbol('rate-limit windows');
type Counted = FastifyRequest & { [WINDOWS]?: WindowState[] };

/**
 * The global throttler, after the API-key guard: an account's keys share one budget per
 * environment (test traffic never spends the live budget); callers without a key are counted
 * per IP. Every counted response carries the X-RateLimit-* and RateLimit headers.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: CachedReflector,
    private readonly metrics: MetricsService,
  ) {
    super(options, storage, reflector);
  }

  override canActivate(context: ExecutionContext): Promise<boolean> {
    return super.canActivate(context).then(() => this.answer(context));
  }

  /** After the throttler has counted the request in every window: its headers, and a 429 past a limit. */
  private answer(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Counted>();
    const windows = request[WINDOWS];
    if (!windows?.length) return true;
    const headers = rateLimitHeaders(windows);
    void context.switchToHttp().getResponse<FastifyReply>().headers(headers);
    if (windows.some((w) => w.exceeded)) {
      this.metrics.rateLimitRejection('plan');
      throw new DomainException(ErrorCode.RateLimited, undefined, undefined, headers);
    }
    return true;
  }

  protected override async getTracker(request: Record<string, any>): Promise<string> {
    return this.trackerOf(request as FastifyRequest);
  }

  /**
   * Counts the request in one window. With this guard's own tracker and counters kept in process it
   * is counted at once, without waiting on a promise; a tracker a route names, or Redis, is awaited.
   */
  protected override handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler, getTracker, generateKey } = props;
    const request = context.switchToHttp().getRequest<Counted>();
    const name = throttler.name ?? 'default';
    if (getTracker === this.commonOptions.getTracker && this.storageService instanceof ResilientStorage) {
      const record = this.storageService.countInProcess(generateKey(context, this.trackerOf(request), name), ttl, limit, name);
      if (record) {
        (request[WINDOWS] ??= []).push(windowState(name, limit, ttl, record));
        return COUNTED;
      }
    }
    return this.countAwaited(request, props);
  }

  private async countAwaited(request: Counted, { context, limit, ttl, throttler, getTracker, generateKey }: ThrottlerRequest): Promise<boolean> {
    const tracker = await getTracker(request, context);
    const name = throttler.name ?? 'default';
    const record = await this.storageService.increment(generateKey(context, tracker, name), ttl, limit, 1, name);
    (request[WINDOWS] ??= []).push(windowState(name, limit, ttl, record));
    return true;
  }

  private trackerOf(request: FastifyRequest): string {
    return trackerFor(request.user, request.ip);
  }

  /** One key per tracker and window, shared by every route: the budget is per account, not per route. */
  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `lk:${tracker}:${throttlerName}`;
  }
}

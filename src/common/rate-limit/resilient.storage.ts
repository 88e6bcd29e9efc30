import { Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import Redis from 'ioredis';
import { once } from 'node:events';
import { FixedWindowStorage } from './fixed-window.storage';

const REDIS_TIMEOUT_MS = 250;
/** After a failure, Redis is left alone this long before one request tries it again. */
const RETRY_AFTER_FAILURE_MS = 2_000;

/**
 * One atomic fixed window: count, start the window's clock on its first hit, report what is
 * left. (The block key of the usual throttler script restarts a window when requests overlap
 * the end of a block, which lets bursts through: no blocking here, as in FixedWindowStorage.)
 */
const FIXED_WINDOW = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { hits, ttl }`;

type WindowRedis = Redis & { fixedWindow(key: string, ttlMs: number): Promise<[number, number]> };

/**
 * Counters shared through Redis when REDIS_URL is set, kept in process otherwise. If Redis fails
 * or stalls mid-traffic, the instance falls back at once to its own in-process counters (limits
 * still hold, per instance), logs it, leaves Redis alone for a moment, and returns to it as soon
 * as it answers again. A request never fails, and is never let through unlimited, because of Redis.
 */
export class ResilientStorage implements ThrottlerStorage, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RateLimits');
  private readonly local = new FixedWindowStorage();
  private readonly redis?: WindowRedis;
  private degradedSince: number | null = null;
  private retryAt = 0;

  constructor(redisUrl: string | undefined) {
    if (!redisUrl) return;
    this.redis = new Redis(redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: REDIS_TIMEOUT_MS,
      connectTimeout: 1000,
      retryStrategy: () => 250,
    }) as WindowRedis;
    this.redis.defineCommand('fixedWindow', { numberOfKeys: 1, lua: FIXED_WINDOW });
    this.redis.on('error', (err: Error) => this.degrade(err.message));
  }

  /** Whether counters are shared across instances right now. */
  get usingRedis(): boolean {
    return this.degradedSince === null && this.redis?.status === 'ready';
  }

  increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    // Without Redis the in-process window answers directly: no async frame of its own around it.
    if (!this.redis) return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    return this.incrementShared(this.redis, key, ttl, limit, blockDuration, throttlerName);
  }

  /** The count at once when counters are kept in this process (no REDIS_URL); undefined when Redis must be asked. */
  countInProcess(key: string, ttl: number, limit: number, throttlerName: string): ThrottlerStorageRecord | undefined {
    return this.redis ? undefined : this.local.count(key, ttl, limit, throttlerName);
  }

  private async incrementShared(redis: WindowRedis, key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    if (redis.status === 'ready' && (this.degradedSince === null || Date.now() >= this.retryAt)) {
      try {
        const [hits, ttlMs] = await redis.fixedWindow(`${key}:${throttlerName}`, ttl);
        this.recover();
        const timeToExpire = Math.ceil(ttlMs / 1000);
        const isBlocked = hits > limit;
        return { totalHits: hits, timeToExpire, isBlocked, timeToBlockExpire: isBlocked ? timeToExpire : 0 };
      } catch (err) {
        this.degrade((err as Error).message);
      }
    } else if (redis.status !== 'ready') {
      this.degrade(`connection ${redis.status}`);
    }
    return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  /** Gives Redis a moment to connect at boot, so the first requests already share counters. */
  async onModuleInit() {
    if (!this.redis || this.redis.status === 'ready') return;
    await Promise.race([once(this.redis, 'ready'), new Promise((r) => setTimeout(r, 2000).unref())]).catch(() => undefined);
  }

  async onModuleDestroy() {
    this.local.close();
    this.redis?.disconnect(false);
  }

  private degrade(why: string): void {
    this.retryAt = Date.now() + RETRY_AFTER_FAILURE_MS;
    if (this.degradedSince !== null) return;
    this.degradedSince = Date.now();
    this.logger.warn(`Redis unavailable (${why}): rate limits fall back to this instance's own counters`);
  }

  private recover(): void {
    if (this.degradedSince === null) return;
    this.logger.log(`Redis is back after ${Date.now() - this.degradedSince} ms: rate limits are shared again`);
    this.degradedSince = null;
  }
}

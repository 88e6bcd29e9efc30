import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { once } from 'node:events';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import Redis from 'ioredis';
import { FixedWindowStorage } from './fixed-window.storage';

const REDIS_TIMEOUT_MS = 100;

/**
 * Counters shared through Redis when REDIS_URL is set, kept in process otherwise. If Redis fails
 * mid-traffic, every instance falls back at once to its own in-process counters (so limits still
 * hold, per instance) and logs it; it returns to Redis as soon as Redis answers again. A request
 * never fails and is never let through unlimited because of Redis.
 */
export class ResilientStorage implements ThrottlerStorage, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RateLimits');
  private readonly local = new FixedWindowStorage();
  private readonly redis?: Redis;
  private readonly shared?: ThrottlerStorageRedisService;
  private degradedSince: number | null = null;

  constructor(redisUrl: string | undefined) {
    if (!redisUrl) return;
    this.redis = new Redis(redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: REDIS_TIMEOUT_MS,
      connectTimeout: 1000,
      retryStrategy: () => 250,
      lazyConnect: false,
    });
    this.redis.on('error', () => this.degrade('error'));
    this.redis.on('ready', () => this.recover());
    this.shared = new ThrottlerStorageRedisService(this.redis);
  }

  /** Whether counters are shared across instances right now. */
  get usingRedis(): boolean {
    return Boolean(this.shared) && this.degradedSince === null && this.redis?.status === 'ready';
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    if (this.shared && this.redis?.status === 'ready') {
      try {
        // blockDuration 1 ms: a window refuses while over its limit and reopens when it resets.
        const record = await this.shared.increment(key, ttl, limit, 1, throttlerName);
        if (this.degradedSince !== null) this.recover();
        return record;
      } catch (err) {
        this.degrade((err as Error).message);
      }
    } else if (this.shared) {
      this.degrade(`connection ${this.redis?.status}`);
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

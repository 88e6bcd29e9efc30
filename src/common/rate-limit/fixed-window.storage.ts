import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';

/**
 * In-process fixed windows: one counter and one deadline per key, O(1) per request. (The
 * throttler's own memory storage keeps a timestamp per hit, which costs O(limit) per request at
 * 20,000 an hour.) Blocking is not used: a window refuses while its count exceeds the limit and
 * opens again when it resets, the same semantics as the Redis storage with blockDuration 1 ms.
 */
export class FixedWindowStorage implements ThrottlerStorage {
  private readonly windows = new Map<string, { hits: number; resetAt: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(sweepMs = 60_000) {
    this.sweeper = setInterval(() => this.sweep(), sweepMs);
    this.sweeper.unref();
  }

  async increment(key: string, ttl: number, limit: number, _blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const id = `${key}:${throttlerName}`;
    const now = Date.now();
    let window = this.windows.get(id);
    if (!window || window.resetAt <= now) {
      window = { hits: 0, resetAt: now + ttl };
      this.windows.set(id, window);
    }
    window.hits++;
    const timeToExpire = Math.ceil((window.resetAt - now) / 1000);
    const isBlocked = window.hits > limit;
    return { totalHits: window.hits, timeToExpire, isBlocked, timeToBlockExpire: isBlocked ? timeToExpire : 0 };
  }

  private sweep(now = Date.now()): void {
    for (const [id, window] of this.windows) if (window.resetAt <= now) this.windows.delete(id);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

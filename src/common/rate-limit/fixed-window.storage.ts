import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { LRUCache } from 'lru-cache';
import { randomBytes } from 'node:crypto';

interface Window {
  hits: number;
  resetAt: number;
}

/** Windows one instance keeps (about 14 MB, measured in its spec); past it, the least recently counted window goes. */
export const MAX_WINDOWS = 100_000;
const RECALL_SLOTS = 1 << 16;

/**
 * In-process fixed windows: one counter and one deadline per key, O(1) per request. (The
 * throttler's own memory storage keeps a timestamp per hit, which costs O(limit) per request at
 * 20,000 an hour.) Blocking is not used: a window refuses while its count exceeds the limit and
 * opens again when it resets, the same semantics as the Redis storage with blockDuration 1 ms.
 *
 * Memory is bounded: at most MAX_WINDOWS windows, the least recently counted dropped first, so a
 * client that keeps calling keeps its window. A dropped window is remembered in a fixed table by a
 * seeded hash of its key (the highest count and latest reset per slot); a window that starts
 * while its slot still holds an unexpired count starts from that count. Flooding the table with
 * other addresses therefore does not reset one's own window, and a collision can only count a
 * client higher than it should, never lower.
 */
export class FixedWindowStorage implements ThrottlerStorage {
  private readonly windows: LRUCache<string, Window>;
  private readonly recalledHits = new Uint32Array(RECALL_SLOTS);
  private readonly recalledResetAt = new Float64Array(RECALL_SLOTS);
  private readonly seed = randomBytes(4).readUInt32LE();
  private readonly sweeper: NodeJS.Timeout;

  constructor(sweepMs = 60_000, max = MAX_WINDOWS) {
    this.windows = new LRUCache<string, Window>({
      max,
      dispose: (window, id, reason) => reason === 'evict' && this.remember(id, window),
    });
    this.sweeper = setInterval(() => this.sweep(), sweepMs);
    this.sweeper.unref();
  }

  /** Windows held right now. */
  get size(): number {
    return this.windows.size;
  }

  async increment(key: string, ttl: number, limit: number, _blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    return this.count(key, ttl, limit, throttlerName);
  }

  /** `increment`, answered at once: the window is in this process. */
  count(key: string, ttl: number, limit: number, throttlerName: string): ThrottlerStorageRecord {
    const id = `${key}:${throttlerName}`;
    const now = Date.now();
    let window = this.windows.get(id);
    if (!window || window.resetAt <= now) {
      window = this.recall(id, now) ?? { hits: 0, resetAt: now + ttl };
      this.windows.set(id, window);
    }
    window.hits++;
    const timeToExpire = Math.ceil((window.resetAt - now) / 1000);
    const isBlocked = window.hits > limit;
    return { totalHits: window.hits, timeToExpire, isBlocked, timeToBlockExpire: isBlocked ? timeToExpire : 0 };
  }

  private remember(id: string, window: Window, now = Date.now()): void {
    if (window.resetAt <= now) return;
    const slot = this.slot(id);
    if (this.recalledResetAt[slot] <= now) {
      this.recalledHits[slot] = window.hits;
      this.recalledResetAt[slot] = window.resetAt;
    } else {
      this.recalledHits[slot] = Math.max(this.recalledHits[slot], window.hits);
      this.recalledResetAt[slot] = Math.max(this.recalledResetAt[slot], window.resetAt);
    }
  }

  private recall(id: string, now: number): Window | undefined {
    const slot = this.slot(id);
    const resetAt = this.recalledResetAt[slot];
    return resetAt > now ? { hits: this.recalledHits[slot], resetAt } : undefined;
  }

  /** FNV-1a with a per-process seed: which keys share a slot cannot be worked out from outside. */
  private slot(id: string): number {
    let hash = (0x811c9dc5 ^ this.seed) >>> 0;
    for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
    return (hash >>> 0) & (RECALL_SLOTS - 1);
  }

  private sweep(now = Date.now()): void {
    const expired: string[] = [];
    for (const [id, window] of this.windows.entries()) if (window.resetAt <= now) expired.push(id);
    for (const id of expired) this.windows.delete(id);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

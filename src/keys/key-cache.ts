import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { AuthRecord } from './auth-record';

/** What changed, as fanned out to every instance. */
export type Invalidation = { key: string } | { account: string } | { all: true };

/**
 * Verified keys by hash. Never serves an answer older than the last change it was told of:
 * every invalidation bumps a generation, and a lookup that started before it is not cached.
 * While the fan-out channel is down the cache is not trusted at all (every lookup hits the database).
 */
@Injectable()
export class KeyCache {
  private readonly entries = new LRUCache<string, AuthRecord>({
    max: 50_000,
    // A safety net only: correctness comes from invalidation, not from expiry.
    ttl: 5 * 60_000,
    dispose: (record, hash) => this.forgetHash(record.principal.keyId, hash),
  });
  /**
   * The cached hashes of each key, for `apply`: a key almost always has one (a plain string, a few
   * bytes), two only while an old secret is still honoured (a grace period), then a Set.
   */
  private readonly hashesByKey = new Map<string, string | Set<string>>();
  private generation = 0;
  private trusted = true;
  hits = 0;
  misses = 0;

  /** The generation to hand back to `set`: a lookup must read it before it reads the database. */
  begin(): number {
    return this.generation;
  }

  get(hash: string): AuthRecord | undefined {
    if (!this.trusted) return undefined;
    const record = this.entries.get(hash);
    if (record) this.hits++;
    else this.misses++;
    return record;
  }

  /** Whether a key is cached, without counting a lookup or refreshing its place: the lookup itself comes later. */
  holds(hash: string): boolean {
    return this.trusted && this.entries.has(hash);
  }

  set(hash: string, record: AuthRecord, generation: number): void {
    if (!this.trusted || generation !== this.generation) return;
    this.entries.set(hash, record);
    const keyId = record.principal.keyId;
    const held = this.hashesByKey.get(keyId);
    if (held === undefined) this.hashesByKey.set(keyId, hash);
    else if (typeof held !== 'string') held.add(hash);
    else if (held !== hash) this.hashesByKey.set(keyId, new Set([held, hash]));
  }

  apply(change: Invalidation): void {
    this.generation++;
    if ('key' in change) {
      const held = this.hashesByKey.get(change.key);
      // Forgotten first, so the deletes' dispose finds nothing left to update.
      this.hashesByKey.delete(change.key);
      if (typeof held === 'string') this.entries.delete(held);
      else for (const hash of held ?? []) this.entries.delete(hash);
    } else {
      this.clear();
    }
  }

  /** Called when the fan-out channel drops (false) and when it is back (true). */
  setTrusted(trusted: boolean): void {
    this.generation++;
    this.clear();
    this.trusted = trusted;
  }

  get isTrusted(): boolean {
    return this.trusted;
  }

  get size(): number {
    return this.entries.size;
  }

  private clear(): void {
    this.entries.clear();
    this.hashesByKey.clear();
  }

  /** An entry left the cache (evicted, expired, replaced or deleted): its key no longer holds that hash. */
  private forgetHash(keyId: string, hash: string): void {
    const held = this.hashesByKey.get(keyId);
    if (held === undefined) return;
    if (typeof held === 'string') {
      if (held === hash) this.hashesByKey.delete(keyId);
      return;
    }
    held.delete(hash);
    if (held.size === 1) this.hashesByKey.set(keyId, held.values().next().value!);
    else if (!held.size) this.hashesByKey.delete(keyId);
  }
}

import type { AuthRecord } from './auth-record';
import type { KeyCache } from './key-cache';

/** What a lookup found, and the cache generation read before its query was sent (for `KeyCache.set`). */
export interface Loaded {
  record: AuthRecord | null;
  generation: number;
}

type Pending = PromiseWithResolvers<Loaded>;

export interface LoaderLimits {
  /** Past this many hashes a batch is sent at once. */
  maxBatch: number;
  /** Queries under way at once; past that, misses gather into the next batch while they wait. */
  maxInFlight: number;
  /** The longest a batch waits for a query to come back before it is sent anyway (a hung database must not queue lookups behind it). */
  holdMs: number;
}

const LIMITS: LoaderLimits = { maxBatch: 100, maxInFlight: 1, holdMs: 20 };

/**
 * Looks keys up by keyed hash for the requests the cache could not answer, many per query: the
 * misses of one turn of the event loop go to the database together, and while a query is under way
 * the next misses gather for the next one (one round trip for all of them instead of a query each),
 * and a hash already asked for is not asked again, so a burst of requests with one uncached key
 * costs one lookup.
 *
 * A request joins a query already sent only while nothing has changed since it was sent (the same
 * cache generation, the fan-out channel up): otherwise its answer could predate a change this
 * instance was told of before the request came, and it waits for a query of its own. Joining a
 * batch not yet sent is always safe: that query reads after the request came.
 */
export class AuthRecordLoader {
  private queued = new Map<string, Pending>();
  private readonly sent = new Map<string, { generation: number; pending: Pending }>();
  private scheduled = false;
  private inFlight = 0;
  private hold?: NodeJS.Timeout;

  constructor(
    private readonly fetch: (hashes: string[]) => Promise<Map<string, AuthRecord>>,
    private readonly cache: Pick<KeyCache, 'begin' | 'isTrusted'>,
    private readonly limits: LoaderLimits = LIMITS,
  ) {}

  load(hash: string): Promise<Loaded> {
    const flying = this.sent.get(hash);
    if (flying && this.cache.isTrusted && flying.generation === this.cache.begin()) return flying.pending.promise;
    let pending = this.queued.get(hash);
    if (!pending) {
      pending = Promise.withResolvers<Loaded>();
      this.queued.set(hash, pending);
    }
    if (this.queued.size >= this.limits.maxBatch) this.send();
    else if (!this.scheduled) {
      this.scheduled = true;
      // The other requests read in this turn of the event loop join the batch before it goes.
      setImmediate(() => {
        this.scheduled = false;
        this.sendWhenFree();
      });
    }
    return pending.promise;
  }

  private sendWhenFree(): void {
    if (this.inFlight < this.limits.maxInFlight) this.send();
    else if (this.queued.size && !this.hold) this.hold = setTimeout(() => this.send(), this.limits.holdMs);
  }

  private send(): void {
    clearTimeout(this.hold);
    this.hold = undefined;
    if (!this.queued.size) return;
    const batch = this.queued;
    this.queued = new Map();
    this.inFlight++;
    // Read before the query is sent: a change told of after this keeps the answer out of the cache.
    const generation = this.cache.begin();
    for (const [hash, pending] of batch) this.sent.set(hash, { generation, pending });
    const settle = (each: (hash: string, pending: Pending) => void) => {
      this.inFlight--;
      this.sendWhenFree();
      for (const [hash, pending] of batch) {
        if (this.sent.get(hash)?.pending === pending) this.sent.delete(hash);
        each(hash, pending);
      }
    };
    this.fetch([...batch.keys()]).then(
      (found) => settle((hash, pending) => pending.resolve({ record: found.get(hash) ?? null, generation })),
      (err: unknown) => settle((_hash, pending) => pending.reject(err)),
    );
  }
}

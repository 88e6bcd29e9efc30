import { lookup as dnsLookup, type LookupAddress } from 'node:dns';

/** How hostnames are resolved: `dns.lookup` in production; tests map names of their own. */
export type Resolver = (hostname: string, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

export const systemResolver: Resolver = (hostname, callback) => dnsLookup(hostname, { all: true, verbatim: true }, callback);

/** The delivery schedule and limits. Production uses DEFAULT_DELIVERY_OPTIONS; tests inject shorter ones. */
export interface WebhookDeliveryOptions {
  /** The wait after each failed attempt (the contract's schedule): 8 attempts in all. */
  retryDelaysMs: readonly number[];
  /** Each wait is scaled by a random factor within ±jitter. */
  jitter: number;
  /** A 2xx must arrive within this to count. */
  timeoutMs: number;
  /** The most a Retry-After answer may defer the next attempt. */
  maxRetryAfterMs: number;
  /** An endpoint failing every attempt for this long is disabled. */
  disableAfterMs: number;
  /** How often each instance looks for due work it was not told about. */
  pollIntervalMs: number;
  /** How long a claimed attempt is this instance's; after that (a crash) it is due again. */
  leaseMs: number;
  perEndpointConcurrency: number;
  globalConcurrency: number;
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: http:// and private addresses allowed (development only). */
  allowPrivateNetworks: boolean;
  resolve: Resolver;
  /** Extra CA certificates trusted for https endpoints (tests with a self-signed receiver). */
  ca?: string[];
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export const DEFAULT_DELIVERY_OPTIONS: Omit<WebhookDeliveryOptions, 'allowPrivateNetworks'> = {
  retryDelaysMs: [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR],
  jitter: 0.2,
  timeoutMs: 15 * SECOND,
  maxRetryAfterMs: 10 * HOUR,
  disableAfterMs: 5 * 24 * HOUR,
  pollIntervalMs: SECOND,
  leaseMs: 60 * SECOND,
  perEndpointConcurrency: 4,
  globalConcurrency: 32,
  resolve: systemResolver,
};

export const WEBHOOK_DELIVERY_OPTIONS = Symbol('WEBHOOK_DELIVERY_OPTIONS');

/** Most endpoints one account may have. */
export const MAX_ENDPOINTS_PER_ACCOUNT = 20;

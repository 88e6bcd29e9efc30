import type { WebhookDeliveryOptions } from './webhook-options';

/**
 * The wait before the next attempt after attempt number `attempt` failed, or null when that was the
 * last. The schedule's wait, scaled within ±jitter; a Retry-After answer defers it further, up to a bound.
 */
export function nextAttemptDelay(
  attempt: number,
  retryAfterMs: number | null,
  options: Pick<WebhookDeliveryOptions, 'retryDelaysMs' | 'jitter' | 'maxRetryAfterMs'>,
  random: () => number = Math.random,
): number | null {
  const base = options.retryDelaysMs[attempt - 1];
  if (base === undefined) return null;
  const jittered = Math.round(base * (1 + options.jitter * (2 * random() - 1)));
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, options.maxRetryAfterMs));
}

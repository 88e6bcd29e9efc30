import { nextAttemptDelay } from './retry-schedule';
import { DEFAULT_DELIVERY_OPTIONS } from './webhook-options';

const S = 1000;
const H = 3600 * S;

describe('nextAttemptDelay', () => {
  it('follows 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then stops', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => nextAttemptDelay(n, null, DEFAULT_DELIVERY_OPTIONS, mid))).toEqual([
      5 * S, 300 * S, 1800 * S, 2 * H, 5 * H, 10 * H, 10 * H,
    ]);
    expect(nextAttemptDelay(8, null, DEFAULT_DELIVERY_OPTIONS, mid)).toBeNull();
  });

  it('jitters within ±20 %', () => {
    expect(nextAttemptDelay(1, null, DEFAULT_DELIVERY_OPTIONS, () => 0)).toBe(4 * S);
    expect(nextAttemptDelay(1, null, DEFAULT_DELIVERY_OPTIONS, () => 0.999999)).toBe(6 * S);
  });

  it('waits at least what Retry-After asks, up to 10 hours', () => {
    expect(nextAttemptDelay(1, 120 * S, DEFAULT_DELIVERY_OPTIONS, () => 0.5)).toBe(120 * S);
    expect(nextAttemptDelay(1, 1 * S, DEFAULT_DELIVERY_OPTIONS, () => 0.5)).toBe(5 * S);
    expect(nextAttemptDelay(1, 1000 * H, DEFAULT_DELIVERY_OPTIONS, () => 0.5)).toBe(10 * H);
    expect(nextAttemptDelay(8, 60 * S, DEFAULT_DELIVERY_OPTIONS, () => 0.5)).toBeNull();
  });
});

import { rateLimitHeaders, windowState } from './rate-limit-headers';

describe('rateLimitHeaders', () => {
  const now = 1_700_000_000_500;

  it('reports the window nearest exhaustion in X-RateLimit-* and every window in the IETF pair', () => {
    const minute = windowState('minute', 60, 60_000, { totalHits: 10, timeToExpire: 30 });
    const hour = windowState('hour', 1000, 3_600_000, { totalHits: 995, timeToExpire: 1200 });
    expect(rateLimitHeaders([minute, hour], now)).toStrictEqual({
      'X-RateLimit-Limit': '1000',
      'X-RateLimit-Remaining': '5',
      'X-RateLimit-Reset': String(1_700_000_000 + 1200),
      'RateLimit-Policy': '"minute";q=60;w=60, "hour";q=1000;w=3600',
      RateLimit: '"minute";r=50;t=30, "hour";r=5;t=1200',
    });
  });

  it('breaks a tie on remaining by the later reset, and sets Retry-After to the longest exceeded window', () => {
    const minute = windowState('minute', 5, 60_000, { totalHits: 6, timeToExpire: 20 });
    const hour = windowState('hour', 5, 3_600_000, { totalHits: 7, timeToExpire: 900 });
    const headers = rateLimitHeaders([minute, hour], now);
    expect(headers['X-RateLimit-Reset']).toBe(String(1_700_000_000 + 900));
    expect(headers['X-RateLimit-Remaining']).toBe('0');
    expect(headers['Retry-After']).toBe('900');
    expect(Object.keys(headers)).toStrictEqual(['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'RateLimit-Policy', 'RateLimit', 'Retry-After']);
  });

  it('sets Retry-After from the exceeded window only', () => {
    const minute = windowState('minute', 5, 60_000, { totalHits: 6, timeToExpire: 20 });
    const hour = windowState('hour', 100, 3_600_000, { totalHits: 50, timeToExpire: 900 });
    expect(rateLimitHeaders([minute, hour], now)['Retry-After']).toBe('20');
    expect(rateLimitHeaders([windowState('minute', 5, 60_000, { totalHits: 5, timeToExpire: 20 })], now)).not.toHaveProperty('Retry-After');
  });
});

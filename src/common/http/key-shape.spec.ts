import { loggablePath, redactKeys, urlCarriesKey } from './key-shape';

const KEY = `lk_live_${'A1b2C3d4E5'.repeat(4)}abcdefgh`;

describe('urlCarriesKey', () => {
  it.each([
    [`/v1/me?api_key=${KEY}`, { api_key: KEY }],
    [`/v1/me?foo=${KEY}&foo=1`, { foo: [KEY, '1'] }],
    [`/v1/me?${KEY}`, { [KEY]: '' }],
    [`/v1/me;key=${KEY}`, {}],
    [`/v1/me#${KEY}`, { [KEY]: '' }],
    [`/v1/${KEY}`, {}],
    [`/v1/me?x=${KEY.replaceAll('_', '%5F')}`, { x: KEY }],
    [`/v1/me?x=${encodeURIComponent(KEY).replace('l', '%6C')}`, { x: KEY }],
    ['/v1/me?token=abc', { token: 'abc' }],
    ['/v1/me?API_KEY=abc', { API_KEY: 'abc' }],
    ['/v1/me#key=abc', { key: 'abc' }],
  ])('finds a key in %s', (url, query) => {
    expect(urlCarriesKey(url, query)).toBe(true);
  });

  it.each([['/v1/me', {}], ['/v1/api-keys?limit=5&cursor=abc', { limit: '5', cursor: 'abc' }], ['/v1/audit-events?key_id=key_0123456789012345678901', { key_id: 'key_0123456789012345678901' }], ['/%zz', {}], ['/v1/me?q=lk_live_short', { q: 'lk_live_short' }]])(
    'finds none in %s',
    (url, query) => {
      expect(urlCarriesKey(url, query)).toBe(false);
    },
  );
});

describe('logging', () => {
  it('logs paths without query, fragment or keys', () => {
    expect(loggablePath(`/v1/me;key=${KEY}`)).toBe('/v1/me;key=[redacted]');
    expect(loggablePath(`/v1/me#${KEY}`)).toBe('/v1/me');
    expect(loggablePath(`/v1/me?api_key=${KEY}`)).toBe('/v1/me');
    expect(loggablePath(`/v1/x%5F${KEY.replaceAll('_', '%5F')}`)).not.toContain(KEY.slice(8));
    expect(loggablePath('/v1/api-keys/key_abc')).toBe('/v1/api-keys/key_abc');
  });

  it('redacts keys from any text', () => {
    expect(redactKeys(`failed for ${KEY} and ${KEY.replace('live', 'test')}`)).toBe('failed for [redacted] and [redacted]');
    expect(redactKeys('nothing here')).toBe('nothing here');
  });
});

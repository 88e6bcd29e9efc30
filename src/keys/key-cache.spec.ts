import type { AuthRecord } from './auth-record';
import { KeyCache } from './key-cache';

const record = (keyId: string) => ({ principal: { keyId } }) as AuthRecord;

describe('key cache', () => {
  it('serves a key by either of its hashes, and forgets both when the key changes', () => {
    const cache = new KeyCache();
    const key = record('k1');
    cache.set('current', key, cache.begin());
    cache.set('old', key, cache.begin());
    cache.set('other', record('k2'), cache.begin());
    expect(cache.get('current')).toBe(key);
    expect(cache.get('old')).toBe(key);

    cache.apply({ key: 'k1' });
    expect(cache.get('current')).toBeUndefined();
    expect(cache.get('old')).toBeUndefined();
    expect(cache.get('other')).toBeDefined();
  });

  it('forgets a single-hash key on its invalidation, and caches it again afterwards', () => {
    const cache = new KeyCache();
    cache.set('h', record('k1'), cache.begin());
    cache.set('h', record('k1'), cache.begin());
    cache.apply({ key: 'k1' });
    expect(cache.get('h')).toBeUndefined();
    expect(cache.size).toBe(0);

    const fresh = record('k1');
    cache.set('h', fresh, cache.begin());
    expect(cache.get('h')).toBe(fresh);
    cache.apply({ key: 'k1' });
    expect(cache.size).toBe(0);
  });

  it('still finds the hash a key keeps after its other one is replaced under another key', () => {
    const cache = new KeyCache();
    cache.set('a', record('k1'), cache.begin());
    cache.set('b', record('k1'), cache.begin());
    // The hash now belongs to another key: the first key is left with one hash.
    cache.set('a', record('k2'), cache.begin());
    cache.set('c', record('k1'), cache.begin());

    cache.apply({ key: 'k1' });
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('c')).toBeUndefined();
    expect(cache.get('a')?.principal.keyId).toBe('k2');
    cache.apply({ key: 'k2' });
    expect(cache.size).toBe(0);
  });

  it('does not cache a lookup that began before an invalidation', () => {
    const cache = new KeyCache();
    const generation = cache.begin();
    cache.apply({ key: 'k1' });
    cache.set('h', record('k1'), generation);
    expect(cache.get('h')).toBeUndefined();
  });

  it('is not trusted while the fan-out channel is down, and starts empty when it is back', () => {
    const cache = new KeyCache();
    cache.set('h', record('k1'), cache.begin());
    cache.setTrusted(false);
    expect(cache.holds('h')).toBe(false);
    cache.set('h', record('k1'), cache.begin());
    expect(cache.get('h')).toBeUndefined();
    cache.setTrusted(true);
    expect(cache.get('h')).toBeUndefined();
  });

  it('keeps invalidating a key whose other hash was evicted', () => {
    const cache = new KeyCache();
    cache.set('first', record('k1'), cache.begin());
    cache.set('second', record('k1'), cache.begin());
    cache.get('second');
    // Fill the cache past its size so that the least recently used entry, 'first', is evicted.
    for (let i = 0; i < 49_999; i++) cache.set(`filler-${i}`, record(`f${i}`), cache.begin());
    expect(cache.holds('first')).toBe(false);
    expect(cache.holds('second')).toBe(true);

    cache.apply({ key: 'k1' });
    expect(cache.holds('second')).toBe(false);
  });
});

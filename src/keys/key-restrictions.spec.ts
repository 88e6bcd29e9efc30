import fc from 'fast-check';
import { IpAllowList, isValidReferrerPattern, ReferrerAllowList } from './key-restrictions';

describe('IpAllowList', () => {
  const list = new IpAllowList(['203.0.113.0/24', '198.51.100.7', '2001:db8::/32', '::1']);

  it('allows addresses inside v4 and v6 rules, including v4-mapped v6', () => {
    for (const ip of ['203.0.113.1', '203.0.113.255', '198.51.100.7', '2001:db8::1', '2001:db8:ffff::9', '::1', '::ffff:203.0.113.9']) {
      expect(list.allows(ip)).toBe(true);
    }
  });

  it('refuses addresses outside, garbage and a missing address', () => {
    for (const ip of ['203.0.114.1', '198.51.100.8', '2001:db9::1', '10.0.0.1', 'nonsense', '', null, undefined]) {
      expect(list.allows(ip)).toBe(false);
    }
  });

  it('allows everything when empty', () => {
    expect(new IpAllowList([]).allows('8.8.8.8')).toBe(true);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.string(), (s) => typeof list.allows(s) === 'boolean'));
  });
});

describe('ReferrerAllowList', () => {
  const list = new ReferrerAllowList(['https://*.example.com', 'https://app.test.dev', 'http://localhost:3000']);

  it.each([
    ['https://a.example.com', null],
    ['https://a.b.example.com', null],
    ['https://app.test.dev', null],
    ['http://localhost:3000', null],
    [null, 'https://app.test.dev/some/page?x=1'],
    ['null', 'https://x.example.com/'],
  ])('allows origin %s / referer %s', (origin, referer) => {
    expect(list.allows(origin, referer)).toBe(true);
  });

  it.each([
    ['https://example.com', null],
    ['http://a.example.com', null],
    ['https://evil-example.com', null],
    ['https://example.com.evil.io', null],
    ['https://app.test.dev:8443', null],
    ['http://localhost:3001', null],
    [null, null],
    ['not a url', null],
  ])('refuses origin %s / referer %s', (origin, referer) => {
    expect(list.allows(origin, referer)).toBe(false);
  });

  it('validates patterns', () => {
    for (const ok of ['https://*.example.com', 'http://localhost:3000', 'https://a-b.c.io']) expect(isValidReferrerPattern(ok)).toBe(true);
    for (const bad of ['example.com', 'ftp://x.io', 'https://*', 'https://a.*.com', 'https://x.io/path', 'https://*.*.io', 'javascript:alert(1)']) {
      expect(isValidReferrerPattern(bad)).toBe(false);
    }
  });
});

import fc from 'fast-check';
import { IpAllowList, isValidReferrerPattern, normalizeReferrerPattern, ReferrerAllowList } from './key-restrictions';

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

  it('refuses legacy IPv4 forms and zone ids as clients, even when they name an allowed address', () => {
    const tens = new IpAllowList(['10.0.0.0/8', 'fe80::/10']);
    for (const ip of ['0x0a010203', '167838211', '10.1', '10.1.2', '012.1.2.3', '::ffff:0x0a.1.2.3', 'fe80::1%eth0', ' 10.1.2.3']) expect(tens.allows(ip)).toBe(false);
    for (const ip of ['10.1.2.3', '::ffff:10.1.2.3', 'fe80::1']) expect(tens.allows(ip)).toBe(true);
  });

  it('compares IPv4-mapped rules and clients in one form', () => {
    const mapped = new IpAllowList(['::ffff:10.0.0.0/104']);
    expect(mapped.allows('10.200.0.1')).toBe(true);
    expect(mapped.allows('::ffff:10.200.0.1')).toBe(true);
    expect(mapped.allows('11.0.0.1')).toBe(false);
    const all = new IpAllowList(['::/0']);
    for (const ip of ['10.0.0.1', '::ffff:8.8.8.8', '2001:db8::1', '::1']) expect(all.allows(ip)).toBe(true);
    // An IPv6 range that does not hold ::ffff:0:0/96 holds no IPv4 client.
    const v6 = new IpAllowList(['2001:db8::/32', '::/96']);
    expect(v6.allows('10.0.0.1')).toBe(false);
    expect(v6.allows('::102:304')).toBe(true);
  });

  it('lets a stored rule the API now refuses match nothing, without opening the list', () => {
    const stale = new IpAllowList(['fe80::1%eth0']);
    expect(stale.empty).toBe(false);
    expect(stale.allows('fe80::1')).toBe(false);
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

  it('matches a pattern written with its default port, as browsers send Origin without it', () => {
    const ported = new ReferrerAllowList(['https://example.com:443', 'http://*.example.org:80', 'https://example.net:8443']);
    expect(ported.allows('https://example.com', null)).toBe(true);
    expect(ported.allows('http://a.example.org', null)).toBe(true);
    expect(ported.allows('https://example.net:8443', null)).toBe(true);
    expect(ported.allows('https://example.net', null)).toBe(false);
  });

  it('normalises patterns: lowercase, no default port', () => {
    expect(normalizeReferrerPattern('HTTPS://App.Example.com:443')).toBe('https://app.example.com');
    expect(normalizeReferrerPattern('http://localhost:80')).toBe('http://localhost');
    expect(normalizeReferrerPattern('https://localhost:80')).toBe('https://localhost:80');
    expect(normalizeReferrerPattern('https://*.example.com:8443')).toBe('https://*.example.com:8443');
  });

  it('refuses ports outside 1-65535 and wildcards over a public suffix', () => {
    for (const bad of ['https://example.com:99999', 'https://example.com:65536', 'https://example.com:0', 'https://example.com:0443', 'https://example.com:']) {
      expect(isValidReferrerPattern(bad)).toBe(false);
    }
    for (const bad of ['https://*.com', 'https://*.co.uk', 'https://*.github.io', 'https://*.s3.amazonaws.com', 'https://*.localhost', 'https://*.0.0.1']) {
      expect(isValidReferrerPattern(bad)).toBe(false);
    }
    for (const ok of ['https://*.example.com', 'https://*.example.co.uk', 'https://*.me.github.io', 'https://example.com:65535', 'https://com']) {
      expect(isValidReferrerPattern(ok)).toBe(true);
    }
    expect(new ReferrerAllowList(['https://*.com']).allows('https://example.com', null)).toBe(false);
  });

  it('validates patterns', () => {
    for (const ok of ['https://*.example.com', 'http://localhost:3000', 'https://a-b.c.io']) expect(isValidReferrerPattern(ok)).toBe(true);
    for (const bad of ['example.com', 'ftp://x.io', 'https://*', 'https://a.*.com', 'https://x.io/path', 'https://*.*.io', 'javascript:alert(1)']) {
      expect(isValidReferrerPattern(bad)).toBe(false);
    }
  });
});

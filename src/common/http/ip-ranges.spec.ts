import fc from 'fast-check';
import { canonicalIp, normalizeIpRule, parseIp } from './ip-ranges';

describe('canonicalIp', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['0.0.0.0', '0.0.0.0'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['::FFFF:a01:203', '10.1.2.3'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['::1', '::1'],
    ['::1.2.3.4', '::102:304'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
  ])('reads %s as %s', (text, normal) => {
    expect(canonicalIp(text)).toBe(normal);
  });

  it.each([
    '0x0a010203', '167838211', '10.1', '10.1.2', '010.0.0.1', '10.0.0.01', '256.1.1.1', 'fe80::1%eth0', 'fe80::1%25eth0', '[::1]', '1.2.3.4 ',
    ' 1.2.3.4', '::ffff:0x1.2.3.4', '::ffff:01.2.3.4', '1::2::3', '<script>alert(1)</script>', '', 'localhost', '1.2.3.4/32', '1.2.3.4:80',
  ])('refuses %j', (text) => {
    expect(canonicalIp(text)).toBeNull();
  });

  it('is idempotent and agrees with parseIp on any text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), fc.string()), (text) => {
        const normal = canonicalIp(text);
        if (normal !== null) expect(canonicalIp(normal)).toBe(normal);
        expect(normal === null).toBe(parseIp(text) === null);
      }),
    );
  });

  it('keeps answering right past its cache of known addresses', () => {
    for (let i = 1; i <= 25_000; i++) expect(canonicalIp(`2001:DB8::${i.toString(16)}`)).toBe(`2001:db8::${i.toString(16)}`);
    expect(canonicalIp('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(canonicalIp(`${'1'.repeat(46)}`)).toBeNull();
  });

  it('never accepts the legacy IPv4 forms fast-check writes', () => {
    fc.assert(fc.property(fc.ipV4Extended().filter((s) => !/^(\d|[1-9]\d|1\d\d|2[0-4]\d|25[0-5])(\.(\d|[1-9]\d|1\d\d|2[0-4]\d|25[0-5])){3}$/.test(s)), (s) => canonicalIp(s) === null));
  });
});

describe('normalizeIpRule', () => {
  it.each([
    ['::ffff:10.0.0.0/104', '10.0.0.0/8'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['::/0', '::/0'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['198.51.100.7', '198.51.100.7'],
    ['198.51.100.7/32', '198.51.100.7/32'],
  ])('stores %s as %s', (rule, normal) => {
    expect(normalizeIpRule(rule)).toBe(normal);
  });

  it.each(['fe80::1%eth0', 'fe80::/10%eth0', '10.0.0.0/33', '::/129', '10.0.0.0/08', '10.0.0.0/', '10.1/8', '0x0a000000/8', '10.0.0.0/8/8', '10.0.0.0/-1', '10.0.0.0/ 8'])(
    'refuses %j',
    (rule) => {
      expect(normalizeIpRule(rule)).toBeNull();
    },
  );
});

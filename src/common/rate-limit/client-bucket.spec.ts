import { clientBucket } from './client-bucket';

describe('clientBucket', () => {
  it('keeps IPv4 addresses apart, one by one', () => {
    expect(clientBucket('203.0.113.5')).toBe('203.0.113.5');
    expect(clientBucket('203.0.113.6')).not.toBe(clientBucket('203.0.113.5'));
  });

  it('counts every address of an IPv6 /64 as one client, and the next /64 as another', () => {
    const bucket = clientBucket('2001:db8:1:2::1');
    expect(bucket).toBe('2001:db8:1:2::/64');
    for (const ip of ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:0db8:0001:0002:0:0:0:abcd', '2001:DB8:1:2::dead:beef']) {
      expect(clientBucket(ip)).toBe(bucket);
    }
    expect(clientBucket('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(clientBucket('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('reads an IPv4-mapped IPv6 address as its IPv4 address', () => {
    expect(clientBucket('::ffff:203.0.113.5')).toBe('203.0.113.5');
  });

  it('puts anything that is not an address in one shared bucket', () => {
    for (const junk of [undefined, '', 'not-an-ip', '2001:db8::zz', '1.2.3.4.5']) expect(clientBucket(junk)).toBe('unknown');
  });
});

import { isPublicAddress } from './address-policy';

describe('isPublicAddress', () => {
  it('allows globally routable unicast', () => {
    for (const ip of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '64:ff9b::808:808', '2002:808:808::1', '::ffff:8.8.8.8']) {
      expect([ip, isPublicAddress(ip)]).toEqual([ip, true]);
    }
  });

  it.each([
    ['private', ['10.0.0.1', '172.16.5.4', '192.168.1.1', 'fc00::1', 'fd12:3456::1']],
    ['loopback', ['127.0.0.1', '127.255.255.254', '::1']],
    ['link-local and cloud metadata', ['169.254.169.254', '169.254.0.1', 'fe80::1', 'fd00:ec2::254']],
    ['CGNAT', ['100.64.0.1', '100.127.255.254']],
    ['unspecified', ['0.0.0.0', '0.1.2.3', '::']],
    ['multicast and broadcast', ['224.0.0.1', '239.255.255.250', '255.255.255.255', 'ff02::1']],
    ['reserved and documentation', ['240.0.0.1', '192.0.2.1', '198.18.0.1', '198.51.100.7', '203.0.113.9', '192.0.0.8', '2001:db8::1', '100::1']],
    ['IPv4-mapped forms of those', ['::ffff:127.0.0.1', '::ffff:169.254.169.254', '::ffff:10.0.0.1', '::ffff:7f00:1']],
    ['IPv4-compatible forms', ['::127.0.0.1', '::7f00:1', '::a00:1']],
    ['NAT64 forms', ['64:ff9b::7f00:1', '64:ff9b::a9fe:a9fe', '64:ff9b::10.0.0.1', '64:ff9b:1::8.8.8.8']],
    ['SIIT forms', ['::ffff:0:7f00:1', '::ffff:0:a00:1']],
    ['6to4 forms', ['2002:7f00:1::', '2002:a9fe:a9fe::1', '2002:c0a8:101::1']],
    ['Teredo', ['2001:0:4136:e378:8000:63bf:3fff:fdd2']],
    ['not an address', ['', 'localhost', '127.1', '0x7f.0.0.1', '2130706433', 'fe80::1%eth0']],
  ])('refuses %s', (_, ips) => {
    for (const ip of ips) expect([ip, isPublicAddress(ip)]).toEqual([ip, false]);
  });
});

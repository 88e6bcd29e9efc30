import ipaddr from 'ipaddr.js';

/**
 * Whether an outbound webhook may connect to `address` (IP text): only globally routable unicast.
 * Private, loopback, link-local (169.254.169.254 among them), CGNAT, unspecified, multicast,
 * broadcast and reserved ranges are refused, and so are IPv6 forms that carry such an IPv4 address
 * (IPv4-mapped, IPv4-compatible, NAT64, 6to4) or tunnel to one we cannot see (Teredo).
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv4') return ip.range() === 'unicast';
  const v6 = ip as ipaddr.IPv6;
  const embedded = embeddedIpv4(v6);
  if (embedded !== undefined) return embedded !== null && embedded.range() === 'unicast';
  return v6.range() === 'unicast';
}

/** The IPv4 address an IPv6 form stands for; null when it hides one we cannot check; undefined when plain IPv6. */
function embeddedIpv4(ip: ipaddr.IPv6): ipaddr.IPv4 | null | undefined {
  const bytes = ip.toByteArray();
  const v4 = (at: number) => new ipaddr.IPv4(bytes.slice(at, at + 4));
  if (ip.isIPv4MappedAddress()) return ip.toIPv4Address();
  if (ip.match(ipaddr.IPv6.parse('::'), 96)) return v4(12); // IPv4-compatible (deprecated), :: and ::1 included
  if (ip.match(ipaddr.IPv6.parse('64:ff9b::'), 96)) return v4(12); // NAT64, well-known prefix
  if (ip.match(ipaddr.IPv6.parse('64:ff9b:1::'), 48)) return null; // NAT64, local-use prefixes
  if (ip.match(ipaddr.IPv6.parse('::ffff:0:0:0'), 96)) return v4(12); // IPv4-translated (SIIT)
  if (ip.match(ipaddr.IPv6.parse('2002::'), 16)) return v4(2); // 6to4
  if (ip.match(ipaddr.IPv6.parse('2001::'), 32)) return null; // Teredo
  return undefined;
}

import ipaddr from 'ipaddr.js';

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/**
 * What a per-IP budget is kept for. IPv4 addresses count one by one; an IPv6 client counts by its
 * /64, the block one subscriber or host is given (it can pick any of its 2^64 addresses at will);
 * an IPv4-mapped IPv6 address counts as the IPv4 address it carries. Anything that is not an
 * address shares the single `unknown` bucket.
 */
export function clientBucket(ip: string | undefined): string {
  if (!ip) return 'unknown';
  if (IPV4.test(ip)) return ip;
  if (!ipaddr.isValid(ip)) return 'unknown';
  const address = ipaddr.parse(ip);
  if (address.kind() === 'ipv4') return address.toString();
  const v6 = address as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  return `${v6.parts.slice(0, 4).map((part) => part.toString(16)).join(':')}::/64`;
}

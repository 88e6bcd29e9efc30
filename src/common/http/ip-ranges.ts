import ipaddr from 'ipaddr.js';

/** A strictly written address: dotted-quad IPv4 (no octal, hex or short forms) or IPv6. */
export function isStrictIp(value: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(value) || (value.includes(':') && ipaddr.IPv6.isValid(value));
}

/** True for a single IPv4/IPv6 address or a CIDR range in either family. */
export function isValidCidr(value: string): boolean {
  const [address, bits, extra] = value.split('/');
  if (extra !== undefined || !isStrictIp(address)) return false;
  if (bits === undefined) return true;
  const max = address.includes(':') ? 128 : 32;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= max;
}

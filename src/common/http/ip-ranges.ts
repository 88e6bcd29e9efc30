import ipaddr from 'ipaddr.js';
import { isIPv4, isIPv6 } from 'node:net';

export type Address = ipaddr.IPv4 | ipaddr.IPv6;
export type Range = [Address, number];

const PREFIX_LENGTH = /^(0|[1-9]\d{0,2})$/;

/** `1:2::1.2.3.4` as `1:2::102:304`: ipaddr.js reads `::1.2.3.4` as IPv4-mapped, which it is not. */
function hexTail(text: string): string {
  const colon = text.lastIndexOf(':');
  const tail = text.slice(colon + 1);
  if (!tail.includes('.')) return text;
  const [a, b, c, d] = tail.split('.').map(Number);
  return `${text.slice(0, colon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

/**
 * Standard address text only: IPv4 as four decimal octets (no octal, hex, short or integer forms,
 * no leading zeros) or IPv6 as RFC 4291 writes it, without a zone id. An IPv4-mapped IPv6 address
 * comes back as the IPv4 address it maps, so both spellings of one client compare as one.
 */
export function parseIp(text: string): Address | null {
  if (isIPv4(text)) return ipaddr.IPv4.parse(text);
  if (text.includes('%') || !isIPv6(text)) return null;
  const address = ipaddr.IPv6.parse(hexTail(text));
  return address.isIPv4MappedAddress() ? address.toIPv4Address() : address;
}

// Clients repeat: a request reads its address a few times (guard, log line, last use), and parsing
// IPv6 text costs microseconds. Bounded, and emptied when full, so a flood of addresses cannot grow it.
const CANONICAL_CACHE_SIZE = 10_000;
const canonical = new Map<string, string | null>();

/** The address in its one normal form (dotted quad, or RFC 5952 IPv6), or null when it is not standard address text. */
export function canonicalIp(text: string | null | undefined): string | null {
  // No address text is longer than an IPv6 address with an embedded dotted quad.
  if (!text || text.length > 45) return null;
  const known = canonical.get(text);
  if (known !== undefined) return known;
  const normal = isIPv4(text) ? text : (parseIp(text)?.toString() ?? null);
  if (canonical.size >= CANONICAL_CACHE_SIZE) canonical.clear();
  canonical.set(text, normal);
  return normal;
}

function masked(address: Address, bits: number): Address {
  const bytes = address.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    bytes[i] &= (0xff << (8 - keep)) & 0xff;
  }
  return ipaddr.fromByteArray(bytes);
}

/**
 * An address or CIDR range as a network and prefix length, in the normal form clients are compared
 * in: host bits cleared, and a range inside `::ffff:0:0/96` as the IPv4 range it is
 * (`::ffff:10.0.0.0/104` is `10.0.0.0/8`). Null for anything else (zone ids, legacy forms, bad lengths).
 */
export function parseIpRange(rule: string): Range | null {
  const slash = rule.indexOf('/');
  const text = slash < 0 ? rule : rule.slice(0, slash);
  const lengthText = slash < 0 ? null : rule.slice(slash + 1);
  if (lengthText !== null && !PREFIX_LENGTH.test(lengthText)) return null;
  const v4 = isIPv4(text);
  if (!v4 && (text.includes('%') || !isIPv6(text))) return null;
  let address: Address = v4 ? ipaddr.IPv4.parse(text) : ipaddr.IPv6.parse(hexTail(text));
  let bits = lengthText === null ? (v4 ? 32 : 128) : Number(lengthText);
  if (bits > (v4 ? 32 : 128)) return null;
  if (address instanceof ipaddr.IPv6 && bits >= 96 && address.isIPv4MappedAddress()) {
    address = address.toIPv4Address();
    bits -= 96;
  }
  return [masked(address, bits), bits];
}

/** A rule as it is stored: `10.0.0.0/8`, `2001:db8::/32`, or a single address without a length. */
export function normalizeIpRule(rule: string): string | null {
  const range = parseIpRange(rule);
  if (!range) return null;
  const [address, bits] = range;
  return rule.includes('/') ? `${address.toString()}/${bits}` : address.toString();
}

/** True for a single IPv4/IPv6 address or a CIDR range in either family, written in standard text. */
export function isValidCidr(value: string): boolean {
  return parseIpRange(value) !== null;
}

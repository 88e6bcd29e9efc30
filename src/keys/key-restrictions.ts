import ipaddr from 'ipaddr.js';
import { isValidCidr } from '../common/http/ip-ranges';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** `https://*.example.com`, `http://localhost:3000`: scheme, host (a leading `*.` allowed), optional port. */
const REFERRER_PATTERN = /^(https?):\/\/(\*\.)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(:\d{1,5})?$/;

export function isValidReferrerPattern(pattern: string): boolean {
  return pattern.length <= 253 && REFERRER_PATTERN.test(pattern);
}

export { isValidCidr as isValidIpRule };

function toRange(rule: string): Range {
  if (rule.includes('/')) return ipaddr.parseCIDR(rule);
  const address = ipaddr.parse(rule);
  return [address, address.kind() === 'ipv4' ? 32 : 128];
}

/** Normalises `::ffff:1.2.3.4` to `1.2.3.4` so a v4 rule matches a v4 client behind a v6 socket. */
function parseClient(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (!ipaddr.isValid(ip)) return null;
  const address = ipaddr.parse(ip);
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()
    ? (address as ipaddr.IPv6).toIPv4Address()
    : address;
}

/** Compiled once per key; matching a client is then a few integer comparisons per rule. */
export class IpAllowList {
  private readonly ranges: Range[];

  constructor(rules: readonly string[]) {
    this.ranges = rules.map(toRange);
  }

  get empty(): boolean {
    return this.ranges.length === 0;
  }

  allows(ip: string | null | undefined): boolean {
    if (this.empty) return true;
    const client = ip ? parseClient(ip) : null;
    if (!client) return false;
    return this.ranges.some(([range, bits]) => range.kind() === client.kind() && client.match(range, bits));
  }
}

interface CompiledReferrer {
  scheme: string;
  wildcard: boolean;
  host: string;
  port: string;
}

/**
 * Matches the caller's `Origin` (or, failing that, `Referer`) against patterns. `*.` stands for
 * one or more labels in front of the host and never for the host itself.
 */
export class ReferrerAllowList {
  private readonly patterns: CompiledReferrer[];

  constructor(patterns: readonly string[]) {
    this.patterns = patterns.map((p) => {
      const [, scheme, star, host, port] = REFERRER_PATTERN.exec(p.toLowerCase())!;
      return { scheme, wildcard: Boolean(star), host, port: port ? port.slice(1) : '' };
    });
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  allows(origin: string | null | undefined, referer: string | null | undefined): boolean {
    if (this.empty) return true;
    const source = origin && origin !== 'null' ? origin : referer;
    if (!source) return false;
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      return false;
    }
    const scheme = url.protocol.slice(0, -1);
    const host = url.hostname.toLowerCase();
    return this.patterns.some(
      (p) =>
        p.scheme === scheme &&
        p.port === url.port &&
        (p.wildcard ? host.endsWith(`.${p.host}`) : host === p.host),
    );
  }
}

import ipaddr from 'ipaddr.js';
import { getDomain } from 'tldts';
import { isValidCidr, normalizeIpRule, parseIp, parseIpRange, type Range } from '../common/http/ip-ranges';

/** `https://*.example.com`, `http://localhost:3000`: scheme, host (a leading `*.` allowed), optional port 1-65535. */
const REFERRER_PATTERN = /^(https?):\/\/(\*\.)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?::([1-9]\d{0,4}))?$/;
const DEFAULT_PORT: Record<string, string> = { http: '80', https: '443' };

/**
 * A referrer pattern in the form it is stored and compared in (lowercase, no default port, as
 * browsers send `Origin`), or null when it is refused: not `scheme://host[:port]`, a port outside
 * 1-65535, or a wildcard over a public suffix (`*.com`, `*.co.uk`, `*.github.io`), which would let
 * anyone's site in.
 */
export function normalizeReferrerPattern(pattern: string): string | null {
  if (pattern.length > 253) return null;
  const match = REFERRER_PATTERN.exec(pattern.toLowerCase());
  if (!match) return null;
  const [, scheme, star, host, port] = match;
  if (port && Number(port) > 65_535) return null;
  if (star && getDomain(host, { allowPrivateDomains: true }) === null) return null;
  return `${scheme}://${star ?? ''}${host}${port && port !== DEFAULT_PORT[scheme] ? `:${port}` : ''}`;
}

export const isValidReferrerPattern = (pattern: string): boolean => normalizeReferrerPattern(pattern) !== null;

export { isValidCidr as isValidIpRule, normalizeIpRule };

const MAPPED_BLOCK = ipaddr.IPv6.parse('::ffff:0:0');

/**
 * Compiled once per key; matching a client is then a few integer comparisons per rule. Rules and
 * clients are compared in one normal form (see parseIpRange): IPv4 clients, mapped or not, meet the
 * IPv4 rules, and an IPv6 range that holds all of `::ffff:0:0/96` (`::/0` does) holds them too.
 * A stored rule the API would refuse today matches nothing.
 */
export class IpAllowList {
  private readonly v4: Range[] = [];
  private readonly v6: Range[] = [];
  private readonly everyIpv4: boolean;
  readonly empty: boolean;

  constructor(rules: readonly string[]) {
    this.empty = rules.length === 0;
    for (const rule of rules) {
      const range = parseIpRange(rule);
      if (range) (range[0].kind() === 'ipv4' ? this.v4 : this.v6).push(range);
    }
    this.everyIpv4 = this.v6.some(([network, bits]) => bits < 96 && MAPPED_BLOCK.match(network, bits));
  }

  allows(ip: string | null | undefined): boolean {
    if (this.empty) return true;
    const client = ip ? parseIp(ip) : null;
    if (!client) return false;
    if (client.kind() === 'ipv4') return this.everyIpv4 || this.v4.some(([network, bits]) => client.match(network, bits));
    return this.v6.some(([network, bits]) => client.match(network, bits));
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
  private readonly patterns: CompiledReferrer[] = [];
  readonly empty: boolean;

  constructor(patterns: readonly string[]) {
    this.empty = patterns.length === 0;
    for (const pattern of patterns) {
      const normal = normalizeReferrerPattern(pattern);
      if (!normal) continue;
      const [, scheme, star, host, port] = REFERRER_PATTERN.exec(normal)!;
      this.patterns.push({ scheme, wildcard: Boolean(star), host, port: port ?? '' });
    }
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

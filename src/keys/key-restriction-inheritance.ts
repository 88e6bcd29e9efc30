import ipaddr from 'ipaddr.js';
import type { Principal } from '../common/auth/principal';
import { parseIpRange, type Range } from '../common/http/ip-ranges';
import { DomainException, type FieldProblem } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import { normalizeReferrerPattern } from './key-restrictions';

/** What limits where and until when a key works; empty lists and a null expiry mean "no limit". */
export interface KeyRestrictions {
  expiresAt: Date | null;
  allowedIps: readonly string[];
  allowedReferrers: readonly string[];
}

/** Restrictions as a request gives them: a field left out is `undefined`. */
export type RequestedRestrictions = Partial<KeyRestrictions>;

interface Origins {
  scheme: string;
  wildcard: boolean;
  host: string;
  port: string;
}

const MAPPED_BLOCK = ipaddr.IPv6.parse('::ffff:0:0');
/** An IPv6 range holding all of `::ffff:0:0/96` holds every IPv4 client too (as IpAllowList matches them). */
const holdsEveryIpv4 = ([network, bits]: Range) => network.kind() === 'ipv6' && bits < 96 && MAPPED_BLOCK.match(network, bits);

/** Within when the rule's whole range lies inside one of the outer ranges, both in the form clients are matched in. */
function ipRuleWithin(rule: string, outer: readonly Range[]): boolean {
  const inner = parseIpRange(rule);
  if (!inner) return false;
  const [address, bits] = inner;
  return outer.some((range) => {
    const [network, outerBits] = range;
    if (network.kind() === address.kind()) return bits >= outerBits && address.match(network, outerBits);
    return address.kind() === 'ipv4' && holdsEveryIpv4(range);
  });
}

/** A pattern as ReferrerAllowList compares it: normalised (lowercase, no default port), then split up. */
function toOrigins(pattern: string): Origins | null {
  const normal = normalizeReferrerPattern(pattern);
  const match = normal && /^(https?):\/\/(\*\.)?([^/:*]+)(?::(\d+))?$/.exec(normal);
  return match ? { scheme: match[1], wildcard: Boolean(match[2]), host: match[3], port: match[4] ?? '' } : null;
}

/** Within when every origin the pattern matches is matched by one of the outer patterns. */
function referrerWithin(pattern: string, outer: readonly Origins[]): boolean {
  const inner = toOrigins(pattern);
  if (!inner) return false;
  return outer.some((o) => {
    if (o.scheme !== inner.scheme || o.port !== inner.port) return false;
    if (!o.wildcard) return !inner.wildcard && inner.host === o.host;
    // `*.h` matches hosts below h, never h itself; so does `*.h` inside it, and anything below h.
    return inner.host.endsWith(`.${o.host}`) || (inner.wildcard && inner.host === o.host);
  });
}

/** The fields of `requested` that would let a key work where or when `caller` cannot. */
function widerThan(caller: Principal, requested: RequestedRestrictions): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const { expiresAt, allowedIps, allowedReferrers } = requested;
  if (caller.expiresAt && expiresAt !== undefined && (expiresAt === null || expiresAt > caller.expiresAt)) {
    problems.push({ field: 'expires_at', message: `expires_at must not be later than the calling key's own (${caller.expiresAt.toISOString()})` });
  }
  if (caller.allowedIps.length && allowedIps !== undefined) {
    const outer = caller.allowedIps.map(parseIpRange).filter((r): r is Range => r !== null);
    if (!allowedIps.length || !allowedIps.every((rule) => ipRuleWithin(rule, outer))) {
      problems.push({ field: 'allowed_ips', message: "allowed_ips must lie within the calling key's own allowed_ips (an empty list allows any address)" });
    }
  }
  if (caller.allowedReferrers.length && allowedReferrers !== undefined) {
    const outer = caller.allowedReferrers.map(toOrigins).filter((o): o is Origins => o !== null);
    if (!allowedReferrers.length || !allowedReferrers.every((p) => referrerWithin(p, outer))) {
      problems.push({
        field: 'allowed_referrers',
        message: "allowed_referrers must lie within the calling key's own allowed_referrers (an empty list allows any origin)",
      });
    }
  }
  return problems;
}

const refuse = (message: string, problems: FieldProblem[]) => new DomainException(ErrorCode.InsufficientScope, message, problems);

/** The restrictions a new key gets: each requested one within the caller's own; one left out, the caller's. */
export function restrictionsForNewKey(caller: Principal, requested: RequestedRestrictions): KeyRestrictions {
  const problems = widerThan(caller, requested);
  if (problems.length) throw refuse('A key cannot give a key fewer restrictions than it has itself.', problems);
  return {
    expiresAt: requested.expiresAt === undefined ? caller.expiresAt : requested.expiresAt,
    allowedIps: [...(requested.allowedIps ?? caller.allowedIps)],
    allowedReferrers: [...(requested.allowedReferrers ?? caller.allowedReferrers)],
  };
}

/** Changes to a key (the caller's own included) may narrow its restrictions, never lift them past the caller's. */
export function assertChangeWithin(caller: Principal, requested: RequestedRestrictions): void {
  const problems = widerThan(caller, requested);
  if (problems.length) throw refuse('A key cannot lift restrictions beyond its own.', problems);
}

/** A key may manage only keys within its restrictions: regenerating a wider key would hand over its secret. */
export function assertMayManageRestricted(caller: Principal, target: KeyRestrictions): void {
  const problems = widerThan(caller, target);
  if (problems.length) throw refuse('This API key cannot manage a key with fewer restrictions than its own.', problems);
}

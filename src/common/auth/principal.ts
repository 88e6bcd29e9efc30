import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { canonicalIp } from '../http/ip-ranges';
import type { KeyEnvironment } from './environment';
import { ADMIN_SCOPE, holdsScope } from './scopes';

/** A compiled allow-list of a key's restrictions (implemented by the keys module). */
export interface ClientRestriction {
  readonly empty: boolean;
}
export interface IpRestriction extends ClientRestriction {
  allows(ip: string | null | undefined): boolean;
}
export interface ReferrerRestriction extends ClientRestriction {
  allows(origin: string | null | undefined, referer: string | null | undefined): boolean;
}

/** Who is calling: the authenticated key, its account and the account's plan. */
export interface Principal {
  keyId: string;
  keyName: string;
  environment: KeyEnvironment;
  scopes: string[];
  accountId: string;
  accountName: string;
  accountEmail: string;
  /** The account is the operator's (what the account is); operator powers come from the `admin` scope. */
  isOperatorAccount: boolean;
  /** What authenticated the request: the key's secret, its old secret during a grace period, or a console session cookie. */
  credential: 'key' | 'grace_secret' | 'session';
  planSlug: string;
  rateLimitPerMinute: number;
  rateLimitPerHour: number;
  /** The key's restrictions, compiled; checked by the guard against the request. */
  ips: IpRestriction;
  referrers: ReferrerRestriction;
  /** The same restrictions as stored, and the key's expiry: keys it creates or changes may not be wider. */
  allowedIps: readonly string[];
  allowedReferrers: readonly string[];
  expiresAt: Date | null;
  /** Set when a console session authenticated the request (keyId is then the session's id). */
  session?: PrincipalSession;
}

/** The person behind a console session, as the operator's backend named them. */
export interface PortalUser {
  id: string;
  email: string | null;
  name: string | null;
}

export interface PrincipalSession {
  id: string;
  user: PortalUser;
  expiresAt: Date;
}

/** Cross-account powers and the `operator` actor type belong to keys holding `admin`, not to every key of the operator account. */
export const hasOperatorPowers = (principal: Principal): boolean => holdsScope(principal.scopes, ADMIN_SCOPE);

/** Who did something, and from where, for the audit log. */
export interface RequestActor {
  type: 'api_key' | 'operator' | 'user' | 'system';
  id: string;
  /** The console session a `user` acted through. */
  sessionId?: string;
  accountId?: string;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    user?: Principal;
  }
}

export const SYSTEM_ACTOR: RequestActor = { type: 'system', id: 'system', ip: null, userAgent: null, requestId: null };

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<FastifyRequest>().user;
  if (!principal) throw new Error('CurrentPrincipal used on a public route');
  return principal;
});

/** The caller as an audit actor: keys holding `admin` act as `operator`, all others as `api_key`; sessions as `user`. */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestActor => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest>();
  const principal = request.user;
  if (!principal) throw new Error('CurrentActor used on a public route');
  const userAgent = request.headers['user-agent'];
  const session = principal.session;
  return {
    type: hasOperatorPowers(principal) ? 'operator' : 'api_key',
    id: principal.keyId,
    accountId: principal.accountId,
    ip: canonicalIp(request.ip),
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null,
    requestId: String(request.id),
    // Through a console session, the person acts: the audit log names them and the session.
    ...(session ? { type: 'user' as const, id: session.user.id, sessionId: session.id } : {}),
  };
});

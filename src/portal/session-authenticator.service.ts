import { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { AccountStatus } from '../accounts/account.entity';
import { KeyEnvironment } from '../common/auth/environment';
import type { Principal } from '../common/auth/principal';
import { ADMIN_SCOPE } from '../common/auth/scopes';
import { DomainException } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import { SESSION_LIMITS } from '../common/rate-limit/rate-limits';
import type { AuthFailure, AuthOutcome } from '../keys/key-authenticator.service';
import { IpAllowList, ReferrerAllowList } from '../keys/key-restrictions';
import { PortalHasher, TOKEN_SHAPE } from './portal-secrets';

export const SESSION_ENDED_MESSAGE = 'Your session has ended. Sign in again.';
/** Unknown, ended, expired and ambiguous session cookies: one answer for all. */
export const SESSION_ENDED: AuthFailure = Object.freeze({ ok: false, code: ErrorCode.Unauthorized, message: SESSION_ENDED_MESSAGE });
export const sessionEnded = () => new DomainException(ErrorCode.Unauthorized, SESSION_ENDED_MESSAGE);

interface Row {
  id: string;
  user_id: string;
  user_email: string | null;
  user_name: string | null;
  scopes: string[];
  expires_at: Date | string;
  account_id: string;
  account_name: string;
  account_email: string;
  account_status: AccountStatus;
  is_operator: boolean;
  plan_slug: string;
}

// One lookup on the unique token-hash index, joined to the account and its plan. Ended sessions have no token hash.
const LOOKUP = `
  select s.id, s.user_id, s.user_email, s.user_name, s.scopes, s.expires_at,
         a.id as account_id, a.name as account_name, a.email as account_email, a.status as account_status, a.is_operator,
         a.plan_slug
    from portal_sessions s
    join accounts a on a.id = s.account_id
   where s.token_hash = ? and s.ended_at is null
   limit 1`;

const ALLOW_ANY_IP = new IpAllowList([]);
const ALLOW_ANY_REFERRER = new ReferrerAllowList([]);

/**
 * Decides whether a session cookie may act, and as whom. Nothing is cached: every console request
 * reads the session row, so an ended session is refused on its very next request on every instance.
 */
@Injectable()
export class SessionAuthenticator {
  constructor(
    private readonly em: EntityManager,
    private readonly hasher: PortalHasher,
  ) {}

  async authenticate(token: string, now = new Date()): Promise<AuthOutcome> {
    if (!TOKEN_SHAPE.test(token)) return SESSION_ENDED;
    const [row] = await this.em.getConnection().execute<Row[]>(LOOKUP, [this.hasher.hash(token)]);
    if (!row || new Date(row.expires_at) <= now || row.account_status !== AccountStatus.Active) return SESSION_ENDED;
    return { ok: true, principal: toPrincipal(row) };
  }
}

function toPrincipal(row: Row): Readonly<Principal> {
  // `admin` is granted only inside the operator account; a row saying otherwise grants nothing more.
  const scopes = row.is_operator ? row.scopes : row.scopes.filter((s) => s !== ADMIN_SCOPE);
  const user = Object.freeze({ id: row.user_id, email: row.user_email, name: row.user_name });
  return Object.freeze({
    keyId: row.id,
    keyName: 'Console session',
    // A session sees both environments: live is the environment that sees test keys too.
    environment: KeyEnvironment.Live,
    scopes: Object.freeze(scopes) as string[],
    accountId: row.account_id,
    accountName: row.account_name,
    accountEmail: row.account_email,
    isOperatorAccount: row.is_operator,
    credential: 'session',
    planSlug: row.plan_slug,
    rateLimitPerMinute: SESSION_LIMITS.perMinute,
    rateLimitPerHour: SESSION_LIMITS.perHour,
    ips: ALLOW_ANY_IP,
    referrers: ALLOW_ANY_REFERRER,
    // Keys made in the console are bounded by nothing of the session's: it is the person acting, not a key.
    allowedIps: Object.freeze([]),
    allowedReferrers: Object.freeze([]),
    expiresAt: null,
    session: Object.freeze({ id: row.id, user, expiresAt: new Date(row.expires_at) }),
  });
}

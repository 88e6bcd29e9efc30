import type { Principal } from '../common/auth/principal';
import { ADMIN_SCOPE, ALL_CUSTOMER_SCOPES } from '../common/auth/scopes';
import { DomainException } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import { covers } from '../keys/key-scopes';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1']);
const DEFAULT_TTL_SECONDS = 3600;
const MIN_TTL_SECONDS = 300;

/**
 * When a new session ends, never past the end of the credential asking for it (the key's expiry,
 * or the operator session's own end). An explicit `ttl_seconds` reaching past it is refused rather
 * than shortened, so the caller gets what it asked for or learns why not; the default hour is cut
 * to what is left, down to the 300 s minimum.
 */
export function sessionExpiry(caller: Principal, ttlSeconds: number | undefined, now: Date): Date {
  const limit = caller.session?.expiresAt ?? caller.expiresAt;
  const wanted = new Date(now.getTime() + (ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1000);
  if (!limit || wanted <= limit) return wanted;
  const left = Math.floor((limit.getTime() - now.getTime()) / 1000);
  if (ttlSeconds === undefined && left >= MIN_TTL_SECONDS) return limit;
  const what = caller.session ? 'the calling session ends' : 'the calling key expires';
  const most = left >= MIN_TTL_SECONDS ? `at most ${left}` : `less than the ${MIN_TTL_SECONDS} minimum is left`;
  throw new DomainException(ErrorCode.ValidationFailed, 'The request is not valid.', [
    { field: 'ttl_seconds', message: `ttl_seconds must not reach past ${limit.toISOString()}, when ${what}: ${most}` },
  ]);
}

/**
 * A session's scopes, checked like a new key's: `*` when none are asked for, never more than the
 * caller holds, `admin` only for the operator's own account.
 */
export function sessionScopes(caller: Principal, operatorAccount: boolean, requested: string[] | undefined): string[] {
  const scopes = [...new Set(requested ?? [ALL_CUSTOMER_SCOPES])];
  if (scopes.includes(ADMIN_SCOPE) && !operatorAccount) {
    throw new DomainException(ErrorCode.InsufficientScope, "The admin scope is only for the operator's own account.");
  }
  if (!covers(caller.scopes, scopes)) {
    throw new DomainException(ErrorCode.InsufficientScope, 'A portal session cannot be granted scopes the caller does not hold.');
  }
  return scopes.includes(ALL_CUSTOMER_SCOPES) ? scopes.filter((s) => s === ALL_CUSTOMER_SCOPES || s === ADMIN_SCOPE) : scopes;
}

/** Where the console may send the person back: https, or plain http to this machine only. Stored normalised. */
export function returnUrl(value: string): string {
  const url = URL.parse(value);
  const allowed =
    url !== null &&
    !url.username &&
    !url.password &&
    ((url.protocol === 'https:' && url.hostname !== '') || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname)));
  if (!allowed) {
    throw new DomainException(ErrorCode.ValidationFailed, 'The request is not valid.', [
      { field: 'return_url', message: 'return_url must be an https:// URL (or http://localhost / http://127.0.0.1), without credentials' },
    ]);
  }
  return url.href;
}

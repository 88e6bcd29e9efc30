import { ADMIN_SCOPE, ALL_CUSTOMER_SCOPES, holdsScope, type Scope } from '../common/auth/scopes';
import { DomainException } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import type { Principal } from '../common/auth/principal';

/** True when every scope in `target` is also held by `held` (`*` covers only customer scopes). */
export function covers(held: readonly string[], target: readonly string[]): boolean {
  return target.every((s) => (s === ALL_CUSTOMER_SCOPES ? held.includes(ALL_CUSTOMER_SCOPES) : holdsScope(held, s as Scope)));
}

/**
 * The scopes a new or changed key gets: the caller's own when none are asked for; never an empty
 * list; never more than the caller holds; `admin` only inside the operator account (and only from
 * a key holding it).
 */
export function grantableScopes(caller: Principal, requested: string[] | undefined): string[] {
  if (requested === undefined) return [...caller.scopes];
  if (requested.length === 0) {
    throw new DomainException(ErrorCode.ValidationFailed, 'The request is not valid.', [
      { field: 'scopes', message: 'scopes must not be empty: a key needs at least one scope' },
    ]);
  }
  const scopes = [...new Set(requested)];
  if (!covers(caller.scopes, scopes) || (scopes.includes(ADMIN_SCOPE) && !caller.isOperatorAccount)) {
    throw new DomainException(ErrorCode.InsufficientScope, 'A key cannot grant scopes it does not hold itself.');
  }
  return scopes.includes(ALL_CUSTOMER_SCOPES) ? scopes.filter((s) => s === ALL_CUSTOMER_SCOPES || s === ADMIN_SCOPE) : scopes;
}

/** A key may change only keys whose scopes it holds all of, or it could widen its own reach. */
export function assertMayManage(caller: Principal, targetScopes: readonly string[]): void {
  if (!covers(caller.scopes, targetScopes)) {
    throw new DomainException(ErrorCode.InsufficientScope, 'This API key cannot manage a key with scopes it does not hold.');
  }
}

import type { Principal } from '../common/auth/principal';
import { DomainException } from '../common/errors/domain.exception';
import { assertMayManage, covers, grantableScopes } from './key-scopes';

const caller = (scopes: string[], isOperatorAccount = false) => ({ scopes, isOperatorAccount }) as Principal;
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as DomainException).code;
  }
  return 'none';
};

describe('key scopes', () => {
  it('gives a new key the creator\'s scopes when none are asked for', () => {
    expect(grantableScopes(caller(['keys:read', 'keys:write']), undefined)).toEqual(['keys:read', 'keys:write']);
  });

  it('refuses an empty list and anything wider than the creator holds', () => {
    expect(code(() => grantableScopes(caller(['*']), []))).toBe('VALIDATION_FAILED');
    expect(code(() => grantableScopes(caller(['keys:write']), ['keys:write', 'audit:read']))).toBe('INSUFFICIENT_SCOPE');
    expect(code(() => grantableScopes(caller(['keys:read', 'keys:write', 'keys:verify', 'account:read', 'audit:read']), ['*']))).toBe('INSUFFICIENT_SCOPE');
    expect(code(() => grantableScopes(caller(['*']), ['admin']))).toBe('INSUFFICIENT_SCOPE');
    expect(code(() => grantableScopes(caller(['*', 'admin'], false), ['admin']))).toBe('INSUFFICIENT_SCOPE');
  });

  it('lets * grant any customer scope and operators grant admin', () => {
    expect(grantableScopes(caller(['*']), ['audit:read', 'audit:read'])).toEqual(['audit:read']);
    expect(grantableScopes(caller(['*', 'admin'], true), ['admin', '*', 'keys:read'])).toEqual(['admin', '*']);
  });

  it('lets a key manage only keys it covers', () => {
    expect(covers(['*'], ['keys:read', 'audit:read'])).toBe(true);
    expect(covers(['keys:write'], ['keys:read'])).toBe(false);
    expect(covers(['*'], ['admin'])).toBe(false);
    expect(code(() => assertMayManage(caller(['keys:write', 'keys:read']), ['*']))).toBe('INSUFFICIENT_SCOPE');
    expect(code(() => assertMayManage(caller(['*']), ['keys:read']))).toBe('none');
  });
});

import { holdsScope } from './scopes';

describe('holdsScope', () => {
  it('grants a scope held by name', () => {
    expect(holdsScope(['keys:read'], 'keys:read')).toBe(true);
    expect(holdsScope(['keys:read'], 'keys:write')).toBe(false);
  });

  it('reads * as every customer scope but never admin', () => {
    for (const s of ['keys:read', 'keys:write', 'keys:verify', 'account:read', 'audit:read'] as const) {
      expect(holdsScope(['*'], s)).toBe(true);
    }
    expect(holdsScope(['*'], 'admin')).toBe(false);
    expect(holdsScope(['admin'], 'admin')).toBe(true);
  });

  it('denies everything to an empty list', () => {
    expect(holdsScope([], 'keys:read')).toBe(false);
    expect(holdsScope([], 'admin')).toBe(false);
  });
});

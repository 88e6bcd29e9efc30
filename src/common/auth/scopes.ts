import { SetMetadata } from '@nestjs/common';

/** Scopes a customer key may hold. `*` stands for all of them, never for `admin`. */
export const CUSTOMER_SCOPES = ['keys:read', 'keys:write', 'keys:verify', 'account:read', 'audit:read', 'webhooks:read', 'webhooks:write'] as const;
export const ADMIN_SCOPE = 'admin';
export const ALL_CUSTOMER_SCOPES = '*';
export type Scope = (typeof CUSTOMER_SCOPES)[number] | typeof ADMIN_SCOPE;
export const GRANTABLE_SCOPES: readonly string[] = [...CUSTOMER_SCOPES, ALL_CUSTOMER_SCOPES, ADMIN_SCOPE];

/** Deny by default: an empty list grants nothing, and `*` never grants `admin`. */
export function holdsScope(held: readonly string[], required: Scope): boolean {
  if (held.includes(required)) return true;
  return required !== ADMIN_SCOPE && held.includes(ALL_CUSTOMER_SCOPES);
}

/**
 * Scopes that change keys, webhooks or accounts. A secret in its grace period may not use them: it
 * stays valid so clients can move over, not so its holder can rotate the key away from its owner.
 */
export const MANAGING_SCOPES: ReadonlySet<string> = new Set(['keys:write', 'webhooks:write', ADMIN_SCOPE]);

export const REQUIRED_SCOPE = 'latchkey:required-scope';
/** The scope a route needs; routes without it accept any valid key. */
export const RequireScope = (scope: Scope) => SetMetadata(REQUIRED_SCOPE, scope);

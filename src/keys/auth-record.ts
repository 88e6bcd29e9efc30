import { AccountStatus } from '../accounts/account.entity';
import type { Principal } from '../common/auth/principal';
import type { KeyEnvironment } from '../common/auth/environment';
import type { NativeQuery, Statement } from '../database/native-query';
import { IpAllowList, ReferrerAllowList } from './key-restrictions';

/**
 * Everything authentication needs about a key, its account and plan, in one cacheable object. The
 * principal a request gets is built once here, when the record is loaded, and shared by every
 * request the record serves (nothing changes a principal).
 */
export interface AuthRecord {
  principal: Readonly<Principal>;
  /** The same key presented with its old secret during a grace period: it may authenticate, not manage. */
  gracePrincipal: Readonly<Principal>;
  active: boolean;
  expiresAt: Date | null;
  revokedAt: Date | null;
  secretHash: string;
  graceSecretHash: string | null;
  graceExpiresAt: Date | null;
  accountSuspended: boolean;
  planName: string;
  apiAccess: boolean;
}

interface Row {
  key_id: string;
  key_name: string;
  environment: KeyEnvironment;
  scopes: string[];
  active: boolean;
  expires_at: Date | string | null;
  revoked_at: Date | string | null;
  secret_hash: string;
  grace_secret_hash: string | null;
  grace_expires_at: Date | string | null;
  allowed_ips: string[];
  allowed_referrers: string[];
  account_id: string;
  account_name: string;
  account_email: string;
  account_status: AccountStatus;
  is_operator: boolean;
  plan_slug: string;
  plan_name: string;
  api_access: boolean;
  rate_limit_per_minute: number;
  rate_limit_per_hour: number;
}

// Indexed lookups (either unique hash index) of a batch of hashes, each row joined to its account and plan.
const LOOKUP: Statement = {
  name: 'latchkey_auth_records',
  text: `
  select k.id as key_id, k.name as key_name, k.environment, k.scopes, k.active, k.expires_at, k.revoked_at,
         k.secret_hash, k.grace_secret_hash, k.grace_expires_at, k.allowed_ips, k.allowed_referrers,
         a.id as account_id, a.name as account_name, a.email as account_email, a.status as account_status, a.is_operator,
         p.slug as plan_slug, p.name as plan_name, p.api_access, p.rate_limit_per_minute, p.rate_limit_per_hour
    from api_keys k
    join accounts a on a.id = k.account_id
    join plans p on p.slug = a.plan_slug
   where k.secret_hash = any($1::text[]) or k.grace_secret_hash = any($1::text[])`,
};

const date = (v: Date | string | null) => (v === null ? null : new Date(v));

/** The records of those of `hashes` that belong to a key (as its current secret or its grace secret), by hash. */
export async function loadAuthRecords(query: NativeQuery, hashes: string[]): Promise<Map<string, AuthRecord>> {
  const rows = await query<Row>(LOOKUP, [hashes]);
  const wanted = new Set(hashes);
  const found = new Map<string, AuthRecord>();
  for (const row of rows) {
    const record = toRecord(row);
    if (wanted.has(row.secret_hash)) found.set(row.secret_hash, record);
    // A current secret wins over another key's grace secret (random secrets never collide, but be definite).
    if (row.grace_secret_hash && wanted.has(row.grace_secret_hash) && !found.has(row.grace_secret_hash)) found.set(row.grace_secret_hash, record);
  }
  return found;
}

function toRecord(row: Row): AuthRecord {
  // Frozen, because every request the cached record serves shares it: a mutation would leak across requests.
  const principal: Principal = {
    keyId: row.key_id,
    keyName: row.key_name,
    environment: row.environment,
    scopes: Object.freeze(row.scopes) as string[],
    accountId: row.account_id,
    accountName: row.account_name,
    accountEmail: row.account_email,
    isOperatorAccount: row.is_operator,
    credential: 'key',
    planSlug: row.plan_slug,
    rateLimitPerMinute: row.rate_limit_per_minute,
    rateLimitPerHour: row.rate_limit_per_hour,
    ips: new IpAllowList(row.allowed_ips),
    referrers: new ReferrerAllowList(row.allowed_referrers),
    allowedIps: Object.freeze(row.allowed_ips),
    allowedReferrers: Object.freeze(row.allowed_referrers),
    expiresAt: date(row.expires_at),
  };
  return {
    principal: Object.freeze(principal),
    gracePrincipal: Object.freeze({ ...principal, credential: 'grace_secret' }),
    active: row.active,
    expiresAt: date(row.expires_at),
    revokedAt: date(row.revoked_at),
    secretHash: row.secret_hash,
    graceSecretHash: row.grace_secret_hash,
    graceExpiresAt: date(row.grace_expires_at),
    accountSuspended: row.account_status === AccountStatus.Suspended,
    planName: row.plan_name,
    apiAccess: row.api_access,
  };
}

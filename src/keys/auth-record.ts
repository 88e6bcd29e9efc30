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
  /** The same key presented with its old secret during a grace period: it may authenticate, not manage (null without one). */
  gracePrincipal: Readonly<Principal> | null;
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

/**
 * Cached records hold one copy of what many keys share (their account's and plan's names, scope
 * lists, no restrictions), not one per key: a full cache is then about half the size, and the
 * driver's copies die young. Bounded: past its size the table starts afresh.
 */
class Shared {
  private readonly strings = new Map<string, string>();
  private readonly lists = new Map<string, readonly string[]>();

  string(value: string): string {
    const known = this.strings.get(value);
    if (known !== undefined) return known;
    if (this.strings.size >= 10_000) this.strings.clear();
    this.strings.set(value, value);
    return value;
  }

  list(values: string[]): readonly string[] {
    const key = JSON.stringify(values);
    const known = this.lists.get(key);
    if (known) return known;
    if (this.lists.size >= 1_000) this.lists.clear();
    const list = Object.freeze(values.map((v) => this.string(v)));
    this.lists.set(key, list);
    return list;
  }
}

const shared = new Shared();
const NO_IPS = new IpAllowList([]);
const NO_REFERRERS = new ReferrerAllowList([]);

/** The records of those of `hashes` that belong to a key (as its current secret or its grace secret), by hash. */
export async function loadAuthRecords(query: NativeQuery, hashes: string[]): Promise<Map<string, AuthRecord>> {
  const rows = await query<Row>(LOOKUP, [hashes]);
  // The asked hash is the cache's key too: the record keeps that string rather than the driver's copy.
  const wanted = new Map(hashes.map((h) => [h, h]));
  const found = new Map<string, AuthRecord>();
  for (const row of rows) {
    row.secret_hash = wanted.get(row.secret_hash) ?? row.secret_hash;
    const record = toRecord(row);
    if (wanted.has(row.secret_hash)) found.set(row.secret_hash, record);
    // A current secret wins over another key's grace secret (random secrets never collide, but be definite).
    if (row.grace_secret_hash && wanted.has(row.grace_secret_hash) && !found.has(row.grace_secret_hash)) found.set(row.grace_secret_hash, record);
  }
  return found;
}

function toRecord(row: Row): AuthRecord {
  const expiresAt = date(row.expires_at);
  // Frozen, because every request the cached record serves shares it: a mutation would leak across requests.
  const principal: Principal = {
    keyId: row.key_id,
    keyName: row.key_name,
    environment: shared.string(row.environment) as KeyEnvironment,
    scopes: shared.list(row.scopes) as string[],
    accountId: shared.string(row.account_id),
    accountName: shared.string(row.account_name),
    accountEmail: shared.string(row.account_email),
    isOperatorAccount: row.is_operator,
    credential: 'key',
    planSlug: shared.string(row.plan_slug),
    rateLimitPerMinute: row.rate_limit_per_minute,
    rateLimitPerHour: row.rate_limit_per_hour,
    ips: row.allowed_ips.length ? new IpAllowList(row.allowed_ips) : NO_IPS,
    referrers: row.allowed_referrers.length ? new ReferrerAllowList(row.allowed_referrers) : NO_REFERRERS,
    allowedIps: shared.list(row.allowed_ips),
    allowedReferrers: shared.list(row.allowed_referrers),
    expiresAt,
  };
  return {
    principal: Object.freeze(principal),
    gracePrincipal: row.grace_secret_hash ? Object.freeze({ ...principal, credential: 'grace_secret' }) : null,
    active: row.active,
    expiresAt,
    revokedAt: date(row.revoked_at),
    secretHash: row.secret_hash,
    graceSecretHash: row.grace_secret_hash,
    graceExpiresAt: date(row.grace_expires_at),
    accountSuspended: row.account_status === AccountStatus.Suspended,
    planName: shared.string(row.plan_name),
    apiAccess: row.api_access,
  };
}

import { type Opt, type Ref } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Account } from '../accounts/account.entity';
import { KeyEnvironment } from '../common/auth/environment';


@Entity({ tableName: 'api_keys' })
@Index({ name: 'api_keys_account_listing_idx', properties: ['account', 'environment', 'createdAt', 'id'] })
@Index({ name: 'api_keys_expiry_idx', expression: `create index "api_keys_expiry_idx" on "api_keys" ("expires_at") where "revoked_at" is null and "expires_at" is not null` })
export class ApiKey {
  @PrimaryKey({ type: 'text' })
  id!: string;

  @ManyToOne(() => Account, { ref: true, deleteRule: 'restrict' })
  account!: Ref<Account>;

  @Property({ type: 'text' })
  name!: string;

  @Enum({ items: () => KeyEnvironment, nativeEnumName: 'key_environment' })
  environment!: KeyEnvironment;

  /** The visible start of the key, e.g. `lk_live_`. */
  @Property({ type: 'text' })
  prefix!: string;

  @Property({ type: 'text' })
  last4!: string;

  /** HMAC-SHA-256 of the whole key under the server secret, hex. Never leaves the service. */
  @Unique({ name: 'api_keys_secret_hash_key' })
  @Property({ type: 'text', hidden: true, lazy: true })
  secretHash!: string;

  /** The previous secret's hash while a regeneration grace period runs. */
  @Unique({ name: 'api_keys_grace_secret_hash_key' })
  @Property({ type: 'text', nullable: true, hidden: true, lazy: true })
  graceSecretHash: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  graceExpiresAt: Date | null = null;

  @Property({ type: 'boolean' })
  active: boolean & Opt = true;

  @Property({ type: 'text[]' })
  scopes!: string[];

  @Property({ type: 'text[]' })
  allowedIps: string[] & Opt = [];

  @Property({ type: 'text[]' })
  allowedReferrers: string[] & Opt = [];

  @Property({ type: 'jsonb' })
  metadata: Record<string, unknown> & Opt = {};

  @Property({ type: 'timestamptz', nullable: true })
  expiresAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null = null;

  /** The last expiry notice sent (`expiring_7d`, `expiring_1d`, `expired`), for the `expires_at` in expiryNoticeFor. */
  @Property({ type: 'text', nullable: true, hidden: true })
  expiryNotice: string | null = null;

  /** The expiry the notice was about: a moved `expires_at` no longer matches it, which re-arms the notices. */
  @Property({ type: 'timestamptz', nullable: true, hidden: true })
  expiryNoticeFor: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  lastUsedIp: string | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();
}

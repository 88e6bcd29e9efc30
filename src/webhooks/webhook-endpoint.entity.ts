import { type Opt, type Ref } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Account } from '../accounts/account.entity';

export enum EndpointStatus {
  Enabled = 'enabled',
  Disabled = 'disabled',
}

/** Where an account's events are sent, and the secrets that sign them (encrypted at rest). */
@Entity({ tableName: 'webhook_endpoints' })
@Index({ name: 'webhook_endpoints_account_idx', properties: ['account', 'createdAt', 'id'] })
export class WebhookEndpoint {
  @PrimaryKey({ type: 'text' })
  id!: string;

  @ManyToOne(() => Account, { ref: true, deleteRule: 'cascade' })
  account!: Ref<Account>;

  @Property({ type: 'text' })
  url!: string;

  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  @Property({ type: 'text[]' })
  eventTypes!: string[];

  @Enum({ items: () => EndpointStatus, nativeEnumName: 'webhook_endpoint_status' })
  status: EndpointStatus & Opt = EndpointStatus.Enabled;

  @Property({ type: 'text', nullable: true })
  disabledReason: string | null = null;

  /** The signing secret, AES-256-GCM under a key derived from the server secret. */
  @Property({ type: 'text', hidden: true, lazy: true })
  secretCiphertext!: string;

  /** The secret a rotation replaced: it keeps signing beside the new one until `previousSecretExpiresAt`. */
  @Property({ type: 'text', nullable: true, hidden: true, lazy: true })
  previousSecretCiphertext: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  previousSecretExpiresAt: Date | null = null;

  /** The first failed attempt since the last success: five days of nothing but failures disable the endpoint. */
  @Property({ type: 'timestamptz', nullable: true })
  failingSince: Date | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();
}

import { type Opt, type Ref } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Account } from '../accounts/account.entity';

/** The outbox: one row per outbound event, written in the transaction of the change it reports. */
@Entity({ tableName: 'webhook_events' })
@Index({ name: 'webhook_events_account_idx', properties: ['account', 'createdAt', 'id'] })
export class WebhookEvent {
  /** `msg_…`: the payload's `id` and the `webhook-id` header on every attempt. */
  @PrimaryKey({ type: 'text' })
  id!: string;

  @ManyToOne(() => Account, { ref: true, deleteRule: 'cascade' })
  account!: Ref<Account>;

  @Property({ type: 'text' })
  type!: string;

  @Property({ type: 'text', nullable: true })
  environment: string | null = null;

  /** The payload exactly as sent (and signed) on every attempt. */
  @Property({ type: 'text', lazy: true })
  body!: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();
}

import { type Ref } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { WebhookDelivery } from './webhook-delivery.entity';

/** What one attempt of a delivery saw: the answer's status and first KiB, or the network error. */
@Entity({ tableName: 'webhook_attempts' })
@Index({ name: 'webhook_attempts_delivery_idx', properties: ['delivery', 'number'] })
export class WebhookAttempt {
  @PrimaryKey({ type: 'text' })
  id!: string;

  @ManyToOne(() => WebhookDelivery, { ref: true, deleteRule: 'cascade' })
  delivery!: Ref<WebhookDelivery>;

  @Property({ type: 'integer' })
  number!: number;

  @Property({ type: 'timestamptz' })
  attemptedAt!: Date;

  @Property({ type: 'integer' })
  durationMs!: number;

  @Property({ type: 'integer', nullable: true })
  responseStatus: number | null = null;

  @Property({ type: 'text', nullable: true })
  responseBody: string | null = null;

  @Property({ type: 'text', nullable: true })
  error: string | null = null;
}

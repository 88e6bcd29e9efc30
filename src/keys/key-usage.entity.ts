import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Ref } from '@mikro-orm/core';
import { ApiKey } from './api-key.entity';

/** Requests per key and hour, by status class. Written in batches from `key.used` events. */
@Entity({ tableName: 'key_usage' })
@Index({ name: 'key_usage_account_hour_idx', properties: ['accountId', 'hour'] })
export class KeyUsage {
  @ManyToOne(() => ApiKey, { primary: true, ref: true, deleteRule: 'cascade', fieldName: 'key_id' })
  key!: Ref<ApiKey>;

  @PrimaryKey({ type: 'timestamptz' })
  hour!: Date;

  @Property({ type: 'text' })
  accountId!: string;

  @Property({ type: 'bigint', fieldName: 'count_2xx' })
  count2xx!: string;

  @Property({ type: 'bigint', fieldName: 'count_4xx' })
  count4xx!: string;

  @Property({ type: 'bigint', fieldName: 'count_5xx' })
  count5xx!: string;
}

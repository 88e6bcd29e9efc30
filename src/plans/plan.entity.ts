import { type Opt, PrimaryKeyProp } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

@Entity({ tableName: 'plans' })
export class Plan {
  [PrimaryKeyProp]?: 'slug';

  @PrimaryKey({ type: 'text' })
  slug!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'boolean' })
  apiAccess!: boolean;

  /** null means unlimited. */
  @Property({ type: 'integer', nullable: true })
  maxKeys: number | null = null;

  @Property({ type: 'integer' })
  rateLimitPerMinute!: number;

  @Property({ type: 'integer' })
  rateLimitPerHour!: number;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();
}

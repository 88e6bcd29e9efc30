import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * Where an account's chain starts after retention pruned its oldest events: the last pruned
 * event's position and hash, so the oldest remaining event can still be checked.
 */
@Entity({ tableName: 'audit_anchors' })
export class AuditAnchor {
  @PrimaryKey({ type: 'text' })
  accountId!: string;

  @Property({ type: 'bigint' })
  seq!: string;

  @Property({ type: 'text' })
  hash!: string;

  @Property({ type: 'timestamptz' })
  prunedAt!: Date;
}

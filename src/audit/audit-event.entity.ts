import { type Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

export type ActorType = 'api_key' | 'operator' | 'user' | 'system';
export const ACTOR_TYPES: readonly ActorType[] = ['api_key', 'operator', 'user', 'system'];

/** One link of an account's tamper-evident chain. Rows are append-only. */
@Entity({ tableName: 'audit_events' })
@Unique({ name: 'audit_events_account_seq_key', properties: ['accountId', 'seq'] })
@Index({ name: 'audit_events_account_time_idx', properties: ['accountId', 'occurredAt'] })
@Index({ name: 'audit_events_account_target_idx', properties: ['accountId', 'targetId', 'seq'] })
@Index({ name: 'audit_events_account_action_idx', properties: ['accountId', 'action', 'seq'] })
@Index({ name: 'audit_events_account_actor_idx', properties: ['accountId', 'actorId', 'seq'] })
@Index({ name: 'audit_events_account_actor_type_idx', properties: ['accountId', 'actorType', 'seq'] })
export class AuditEvent {
  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text' })
  accountId!: string;

  /** Position in the account's chain, from 1. */
  @Property({ type: 'bigint' })
  seq!: string;

  @Property({ type: 'timestamptz' })
  occurredAt: Date & Opt = new Date();

  @Property({ type: 'text' })
  actorType!: ActorType;

  @Property({ type: 'text' })
  actorId!: string;

  /** The console session a `user` actor acted through. */
  @Property({ type: 'text', nullable: true })
  actorSessionId: string | null = null;

  @Property({ type: 'text' })
  action!: string;

  @Property({ type: 'text' })
  targetType!: string;

  @Property({ type: 'text' })
  targetId!: string;

  @Property({ type: 'text', nullable: true })
  ip: string | null = null;

  @Property({ type: 'text', nullable: true })
  userAgent: string | null = null;

  @Property({ type: 'text', nullable: true })
  requestId: string | null = null;

  @Property({ type: 'jsonb', nullable: true })
  changes: Record<string, unknown> | null = null;

  @Property({ type: 'text', nullable: true })
  prevHash: string | null = null;

  @Property({ type: 'text' })
  hash!: string;
}

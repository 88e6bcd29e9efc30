import { type Opt, type Ref } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Account } from '../accounts/account.entity';

/** Why a session stopped before its expiry. */
export type PortalSessionEndReason = 'logout' | 'ended_by_operator' | 'account_suspended';

/**
 * A person's sign-in to the console, made by the operator's backend on their behalf. Its one-time
 * code and its cookie token are stored only as keyed hashes; the code's hash is cleared when it is redeemed.
 */
@Entity({ tableName: 'portal_sessions' })
@Index({ name: 'portal_sessions_account_idx', properties: ['account', 'createdAt', 'id'] })
@Index({ name: 'portal_sessions_expires_idx', properties: ['expiresAt'] })
@Index({ name: 'portal_sessions_ended_idx', expression: `create index "portal_sessions_ended_idx" on "portal_sessions" ("ended_at") where "ended_at" is not null` })
export class PortalSession {
  @PrimaryKey({ type: 'text' })
  id!: string;

  @ManyToOne(() => Account, { ref: true, deleteRule: 'cascade' })
  account!: Ref<Account>;

  /** The operator's own id for the person; the audit log shows it. */
  @Property({ type: 'text' })
  userId!: string;

  @Property({ type: 'text', nullable: true })
  userEmail: string | null = null;

  @Property({ type: 'text', nullable: true })
  userName: string | null = null;

  @Property({ type: 'text[]' })
  scopes!: string[];

  @Property({ type: 'text', nullable: true })
  returnUrl: string | null = null;

  @Unique({ name: 'portal_sessions_code_hash_key' })
  @Property({ type: 'text', nullable: true, hidden: true, lazy: true })
  codeHash: string | null = null;

  @Property({ type: 'timestamptz' })
  codeExpiresAt!: Date;

  @Unique({ name: 'portal_sessions_token_hash_key' })
  @Property({ type: 'text', nullable: true, hidden: true, lazy: true })
  tokenHash: string | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  /** Absolute: counted from creation, never extended. */
  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  redeemedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  endedAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  endedReason: PortalSessionEndReason | null = null;
}

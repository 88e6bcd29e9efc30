import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * How far an account's chain was last found intact, so the next check starts there, and who is
 * checking it now. `mac` binds the point to the server's secret: a point written by anyone else
 * is ignored. `horizon` is the oldest transaction still running when that check began: an event
 * at or before the point whose row version is as new or newer was changed after it was checked.
 */
@Entity({ tableName: 'audit_verifications' })
export class AuditVerification {
  @PrimaryKey({ type: 'text' })
  accountId!: string;

  @Property({ type: 'bigint', nullable: true })
  seq: string | null = null;

  @Property({ type: 'text', nullable: true })
  eventId: string | null = null;

  @Property({ type: 'text', nullable: true })
  hash: string | null = null;

  @Property({ type: 'bigint', nullable: true })
  horizon: string | null = null;

  @Property({ type: 'text', nullable: true })
  mac: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  verifiedAt: Date | null = null;

  /** The run holding the account's check, until `leaseUntil`; one at a time across instances. */
  @Property({ type: 'text', nullable: true })
  leaseOwner: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  leaseUntil: Date | null = null;
}

import { type Opt } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Plan } from '../plans/plan.entity';

export enum AccountStatus {
  Active = 'active',
  Suspended = 'suspended',
}

@Entity({ tableName: 'accounts' })
// At most one operator account, whatever races the first start of several instances.
@Index({
  name: 'accounts_single_operator_idx',
  expression: 'create unique index "accounts_single_operator_idx" on "accounts" ("is_operator") where "is_operator"',
})
export class Account {
  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  email!: string;

  @ManyToOne(() => Plan, { fieldName: 'plan_slug', deleteRule: 'restrict' })
  plan!: Plan;

  @Enum({ items: () => AccountStatus, nativeEnumName: 'account_status' })
  status: AccountStatus & Opt = AccountStatus.Active;

  /** The operator account (the company running the service) is the only one whose keys may hold `admin`. */
  @Property({ type: 'boolean' })
  isOperator: boolean & Opt = false;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();
}

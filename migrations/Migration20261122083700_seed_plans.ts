import { Migration } from '@mikro-orm/migrations';

/** The contract's plans. The operator edits them later through /v1/admin/plans. */
export class Migration20261122083700_seed_plans extends Migration {
  override name = 'Migration20261122083700_seed_plans';

  override up(): void {
    this.addSql(`insert into "plans" ("slug", "name", "api_access", "max_keys", "rate_limit_per_minute", "rate_limit_per_hour", "created_at", "updated_at") values
      ('free', 'Free', false, 2, 60, 1000, now(), now()),
      ('pro', 'Pro', true, 5, 60, 1000, now(), now()),
      ('enterprise', 'Enterprise', true, null, 600, 20000, now(), now())
      on conflict ("slug") do nothing;`);
    // At most one operator account, whatever races the first start of several instances.
    this.addSql(`create unique index "accounts_single_operator_idx" on "accounts" ("is_operator") where "is_operator";`);
  }

  override down(): void {
    this.addSql(`drop index "accounts_single_operator_idx";`);
    this.addSql(`delete from "plans" where "slug" in ('free', 'pro', 'enterprise');`);
  }
}

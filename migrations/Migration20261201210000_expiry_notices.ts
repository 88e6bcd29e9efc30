import { Migration } from '@mikro-orm/migrations';

export class Migration20261201210000_expiry_notices extends Migration {

  override name = 'Migration20261201210000_expiry_notices';

  override up(): void | Promise<void> {
    this.addSql(`alter table "api_keys" add "expiry_notice" text null, add "expiry_notice_for" timestamptz null;`);
    this.addSql(`create index "api_keys_expiry_idx" on "api_keys" ("expires_at") where "revoked_at" is null and "expires_at" is not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "api_keys_expiry_idx";`);
    this.addSql(`alter table "api_keys" drop column "expiry_notice", drop column "expiry_notice_for";`);
  }

}

import { Migration } from '@mikro-orm/migrations';

export class Migration20261201194146_audit_verifications extends Migration {

  override name = 'Migration20261201194146_audit_verifications';

  override up(): void | Promise<void> {
    this.addSql(`create table "audit_verifications" ("account_id" text not null, "seq" bigint null, "event_id" text null, "hash" text null, "horizon" bigint null, "mac" text null, "verified_at" timestamptz null, "lease_owner" text null, "lease_until" timestamptz null, primary key ("account_id"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "audit_verifications" cascade;`);
  }

}

import { Migration } from '@mikro-orm/migrations';

export class Migration20261201194426_portal_sessions extends Migration {

  override name = 'Migration20261201194426_portal_sessions';

  override up(): void | Promise<void> {
    this.addSql(`create table "portal_sessions" ("id" text not null, "account_id" text not null, "user_id" text not null, "user_email" text null, "user_name" text null, "scopes" text[] not null, "return_url" text null, "code_hash" text null, "code_expires_at" timestamptz not null, "token_hash" text null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "redeemed_at" timestamptz null, "ended_at" timestamptz null, "ended_reason" text null, primary key ("id"));`);
    this.addSql(`alter table "portal_sessions" add constraint "portal_sessions_code_hash_key" unique ("code_hash");`);
    this.addSql(`alter table "portal_sessions" add constraint "portal_sessions_token_hash_key" unique ("token_hash");`);
    this.addSql(`create index "portal_sessions_account_idx" on "portal_sessions" ("account_id", "created_at", "id");`);

    this.addSql(`alter table "audit_events" add "actor_session_id" text null;`);
    this.addSql(`create index "audit_events_account_actor_type_idx" on "audit_events" ("account_id", "actor_type", "seq");`);

    this.addSql(`alter table "portal_sessions" add constraint "portal_sessions_account_id_foreign" foreign key ("account_id") references "accounts" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "portal_sessions" cascade;`);

    this.addSql(`drop index "audit_events_account_actor_type_idx";`);
    this.addSql(`alter table "audit_events" drop column "actor_session_id";`);
  }

}

import { Migration } from '@mikro-orm/migrations';

export class Migration20261122083634 extends Migration {

  override name = 'Migration20261122083634';

  override up(): void | Promise<void> {
    this.addSql(`create type "account_status" as enum ('active', 'suspended');`);
    this.addSql(`create type "key_environment" as enum ('live', 'test');`);
    this.addSql(`create table "audit_events" ("id" text not null, "account_id" text not null, "seq" bigint not null, "occurred_at" timestamptz not null, "actor_type" text not null, "actor_id" text not null, "action" text not null, "target_type" text not null, "target_id" text not null, "ip" text null, "user_agent" text null, "request_id" text null, "changes" jsonb null, "prev_hash" text null, "hash" text not null, primary key ("id"));`);
    this.addSql(`create index "audit_events_account_time_idx" on "audit_events" ("account_id", "occurred_at", "id");`);
    this.addSql(`alter table "audit_events" add constraint "audit_events_account_seq_key" unique ("account_id", "seq");`);

    this.addSql(`create table "plans" ("slug" text not null, "name" text not null, "api_access" boolean not null, "max_keys" int null, "rate_limit_per_minute" int not null, "rate_limit_per_hour" int not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("slug"));`);

    this.addSql(`create table "accounts" ("id" text not null, "name" text not null, "email" text not null, "plan_slug" text not null, "status" "account_status" not null default 'active', "is_operator" boolean not null default false, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);

    this.addSql(`create table "api_keys" ("id" text not null, "account_id" text not null, "name" text not null, "environment" "key_environment" not null, "prefix" text not null, "last4" text not null, "secret_hash" text not null, "grace_secret_hash" text null, "grace_expires_at" timestamptz null, "active" boolean not null default true, "scopes" text[] not null, "allowed_ips" text[] not null, "allowed_referrers" text[] not null, "metadata" jsonb not null, "expires_at" timestamptz null, "revoked_at" timestamptz null, "last_used_at" timestamptz null, "last_used_ip" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "api_keys" add constraint "api_keys_secret_hash_key" unique ("secret_hash");`);
    this.addSql(`alter table "api_keys" add constraint "api_keys_grace_secret_hash_key" unique ("grace_secret_hash");`);
    this.addSql(`create index "api_keys_account_listing_idx" on "api_keys" ("account_id", "environment", "created_at", "id");`);

    this.addSql(`alter table "accounts" add constraint "accounts_plan_slug_foreign" foreign key ("plan_slug") references "plans" ("slug") on delete restrict;`);

    this.addSql(`alter table "api_keys" add constraint "api_keys_account_id_foreign" foreign key ("account_id") references "accounts" ("id") on delete restrict;`);
  }

}

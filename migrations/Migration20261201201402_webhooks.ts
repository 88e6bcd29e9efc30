import { Migration } from '@mikro-orm/migrations';

export class Migration20261201201402_webhooks extends Migration {

  override name = 'Migration20261201201402_webhooks';

  override up(): void | Promise<void> {
    this.addSql(`create type "webhook_endpoint_status" as enum ('enabled', 'disabled');`);
    this.addSql(`create type "webhook_delivery_status" as enum ('pending', 'succeeded', 'failed', 'exhausted');`);
    this.addSql(`create table "webhook_endpoints" ("id" text not null, "account_id" text not null, "url" text not null, "description" text null, "event_types" text[] not null, "status" "webhook_endpoint_status" not null default 'enabled', "disabled_reason" text null, "secret_ciphertext" text not null, "previous_secret_ciphertext" text null, "previous_secret_expires_at" timestamptz null, "failing_since" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "webhook_endpoints_account_idx" on "webhook_endpoints" ("account_id", "created_at", "id");`);

    this.addSql(`create table "webhook_events" ("id" text not null, "account_id" text not null, "type" text not null, "environment" text null, "body" text not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "webhook_events_account_idx" on "webhook_events" ("account_id", "created_at", "id");`);

    this.addSql(`create table "webhook_deliveries" ("id" text not null, "event_id" text not null, "endpoint_id" text not null, "account_id" text not null, "event_type" text not null, "status" "webhook_delivery_status" not null default 'pending', "attempts" int not null default 0, "response_status" int null, "last_attempt_at" timestamptz null, "next_attempt_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "webhook_deliveries_due_idx" on "webhook_deliveries" ("next_attempt_at") where "status" in ('pending', 'failed');`);
    this.addSql(`create index "webhook_deliveries_endpoint_idx" on "webhook_deliveries" ("endpoint_id", "created_at", "id");`);

    this.addSql(`create table "webhook_attempts" ("id" text not null, "delivery_id" text not null, "number" int not null, "attempted_at" timestamptz not null, "duration_ms" int not null, "response_status" int null, "response_body" text null, "error" text null, primary key ("id"));`);
    this.addSql(`create index "webhook_attempts_delivery_idx" on "webhook_attempts" ("delivery_id", "number");`);

    this.addSql(`alter table "webhook_endpoints" add constraint "webhook_endpoints_account_id_foreign" foreign key ("account_id") references "accounts" ("id") on delete cascade;`);

    this.addSql(`alter table "webhook_events" add constraint "webhook_events_account_id_foreign" foreign key ("account_id") references "accounts" ("id") on delete cascade;`);

    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_event_id_foreign" foreign key ("event_id") references "webhook_events" ("id") on delete cascade;`);
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_endpoint_id_foreign" foreign key ("endpoint_id") references "webhook_endpoints" ("id") on delete cascade;`);
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_account_id_foreign" foreign key ("account_id") references "accounts" ("id") on delete cascade;`);

    this.addSql(`alter table "webhook_attempts" add constraint "webhook_attempts_delivery_id_foreign" foreign key ("delivery_id") references "webhook_deliveries" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "webhook_deliveries" drop constraint "webhook_deliveries_endpoint_id_foreign";`);
    this.addSql(`alter table "webhook_deliveries" drop constraint "webhook_deliveries_event_id_foreign";`);
    this.addSql(`alter table "webhook_attempts" drop constraint "webhook_attempts_delivery_id_foreign";`);

    this.addSql(`drop table if exists "webhook_endpoints" cascade;`);
    this.addSql(`drop table if exists "webhook_events" cascade;`);
    this.addSql(`drop table if exists "webhook_deliveries" cascade;`);
    this.addSql(`drop table if exists "webhook_attempts" cascade;`);

    this.addSql(`drop type "webhook_endpoint_status";`);
    this.addSql(`drop type "webhook_delivery_status";`);
  }

}

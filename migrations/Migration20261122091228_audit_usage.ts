import { Migration } from '@mikro-orm/migrations';

export class Migration20261122091228_audit_usage extends Migration {

  override name = 'Migration20261122091228_audit_usage';

  override up(): void | Promise<void> {
    this.addSql(`create table "audit_anchors" ("account_id" text not null, "seq" bigint not null, "hash" text not null, "pruned_at" timestamptz not null, primary key ("account_id"));`);

    this.addSql(`create table "key_usage" ("key_id" text not null, "hour" timestamptz not null, "account_id" text not null, "count_2xx" bigint not null, "count_4xx" bigint not null, "count_5xx" bigint not null, primary key ("key_id", "hour"));`);
    this.addSql(`create index "key_usage_account_hour_idx" on "key_usage" ("account_id", "hour");`);

    this.addSql(`drop index "audit_events_account_time_idx";`);
    this.addSql(`create index "audit_events_account_actor_idx" on "audit_events" ("account_id", "actor_id", "seq");`);
    this.addSql(`create index "audit_events_account_action_idx" on "audit_events" ("account_id", "action", "seq");`);
    this.addSql(`create index "audit_events_account_target_idx" on "audit_events" ("account_id", "target_id", "seq");`);
    this.addSql(`create index "audit_events_account_time_idx" on "audit_events" ("account_id", "occurred_at");`);

    this.addSql(`alter table "key_usage" add constraint "key_usage_key_id_foreign" foreign key ("key_id") references "api_keys" ("id") on delete cascade;`);

    // Audit rows are append-only for every role: UPDATE, DELETE and TRUNCATE are refused, except
    // the DELETEs of the retention job, which marks its own transaction (see AuditRetentionJob).
    this.addSql(`create function "latchkey_audit_append_only"() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' and current_setting('latchkey.audit_retention', true) = 'on' then
          return old;
        end if;
        raise exception 'audit_events is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
      end $$;`);
    this.addSql(`create trigger "audit_events_append_only" before update or delete on "audit_events" for each row execute function "latchkey_audit_append_only"();`);
    this.addSql(`create trigger "audit_events_no_truncate" before truncate on "audit_events" for each statement execute function "latchkey_audit_append_only"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger "audit_events_no_truncate" on "audit_events";`);
    this.addSql(`drop trigger "audit_events_append_only" on "audit_events";`);
    this.addSql(`drop function "latchkey_audit_append_only"();`);
    this.addSql(`drop table if exists "audit_anchors" cascade;`);
    this.addSql(`drop table if exists "key_usage" cascade;`);

    this.addSql(`drop index "audit_events_account_actor_idx";`);
    this.addSql(`drop index "audit_events_account_action_idx";`);
    this.addSql(`drop index "audit_events_account_target_idx";`);
    this.addSql(`drop index "audit_events_account_time_idx";`);
    this.addSql(`create index "audit_events_account_time_idx" on "audit_events" ("account_id", "occurred_at", "id");`);
  }

}

import { Migration } from '@mikro-orm/migrations';

/**
 * An account's audit-chain lock and the reads that must follow it, in one call. A volatile SQL
 * function runs each of its statements on a fresh snapshot, so what it reads after taking the
 * lock includes every append committed before the lock was granted; a single plain statement
 * cannot do that (its snapshot is taken before it waits for the lock).
 */
export class Migration20261202090000_chain_head_functions extends Migration {

  override name = 'Migration20261202090000_chain_head_functions';

  override up(): void | Promise<void> {
    // The same lock as the retention job's: one writer per account chain, held until the transaction ends.
    this.addSql(`create function "latchkey_audit_chain_lock"(p_account_id text) returns void language sql volatile as $$
      select pg_advisory_xact_lock(hashtextextended('audit:' || p_account_id, 0)) $$;`);
    // The chain's newest link: its newest event, or the retention anchor once all were pruned.
    this.addSql(`create function "latchkey_audit_chain_tip"(p_account_id text) returns table ("seq" bigint, "hash" text) language sql stable as $$
      (select e.seq, e.hash from audit_events e where e.account_id = p_account_id order by e.seq desc limit 1)
      union all (select a.seq, a.hash from audit_anchors a where a.account_id = p_account_id)
      order by seq desc limit 1 $$;`);
    this.addSql(`create function "latchkey_audit_chain_head"(p_account_id text) returns table ("seq" bigint, "hash" text) language sql volatile as $$
      select latchkey_audit_chain_lock(p_account_id);
      select t.seq, t.hash from latchkey_audit_chain_tip(p_account_id) t $$;`);
    // For a new key: the chain's head, the plan's key limit and the keys that count against it
    // (not revoked, in that environment; not counted on a plan without a limit). Every key is
    // created under this lock, so the count holds until commit.
    this.addSql(`create function "latchkey_key_create_head"(p_account_id text, p_environment key_environment)
      returns table ("seq" bigint, "hash" text, "max_keys" int, "plan_name" text, "live_keys" bigint) language sql volatile as $$
      select latchkey_audit_chain_lock(p_account_id);
      select t.seq, t.hash, p.max_keys, p.name,
        case when p.max_keys is null then null
          else (select count(*) from api_keys k where k.account_id = a.id and k.environment = p_environment and k.revoked_at is null) end
      from accounts a join plans p on p.slug = a.plan_slug left join latchkey_audit_chain_tip(a.id) t on true
      where a.id = p_account_id $$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop function "latchkey_key_create_head"(text, key_environment);`);
    this.addSql(`drop function "latchkey_audit_chain_head"(text);`);
    this.addSql(`drop function "latchkey_audit_chain_tip"(text);`);
    this.addSql(`drop function "latchkey_audit_chain_lock"(text);`);
  }

}

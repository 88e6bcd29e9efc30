/**
 * Seeds an account's audit log directly in SQL (`insert ... select ... from generate_series`), for
 * `bench/audit.ts`. The rows look like the service's own: real action names, key ids as targets,
 * small `changes`, occurred_at rising with seq over the last 90 days. The hashes are made-up hex
 * (each prev_hash is the previous row's hash, but no HMAC): the chain does not verify, and nothing
 * timed here checks it.
 */
import { Client } from 'pg';
import { newId } from '../src/common/crypto/base62';

export interface AuditSeed {
  /** ~500 key ids used as target_id, the account's real first key first. */
  keys: string[];
  /** The 50 keys that act on the others (the first is the account's real key). */
  actors: string[];
  /** Seq of the first and last seeded event. */
  firstSeq: number;
  lastSeq: number;
  seconds: number;
}

const DAYS = 90;
const CHUNKS = 4;

// Per row n: action by weight (a, in %), target key, acting key, a random r, and the time.
const INSERT = `
with s as (
  select n, $2::bigint + n as seq,
         abs(hashint8extended(n, 1)) % 100 as a,
         ($3::text[])[1 + abs(hashint8extended(n, 2)) % cardinality($3::text[])] as key_id,
         ($4::text[])[1 + abs(hashint8extended(n, 3)) % cardinality($4::text[])] as admin,
         abs(hashint8extended(n, 4)) as r,
         $5::timestamptz + make_interval(secs => n * $6::float8) as at
    from generate_series($8::bigint, $9::bigint) as n
), e as (
  select s.*, case
           when a < 30 then 'auth.failed'         when a < 55 then 'api_key.updated'
           when a < 65 then 'api_key.created'     when a < 73 then 'api_key.regenerated'
           when a < 79 then 'api_key.deactivated' when a < 85 then 'api_key.activated'
           when a < 91 then 'api_key.revoked'     when a < 96 then 'api_key.deleted'
           else 'account.updated' end as action,
         r % 10 = 0 as unknown_key
    from s
)
insert into audit_events (id, account_id, seq, occurred_at, actor_type, actor_id, action, target_type, target_id,
                          ip, user_agent, request_id, changes, prev_hash, hash)
select 'evt_' || substr(md5('evt' || seq), 1, 22), $1::text, seq, at,
       case when action = 'account.updated' then 'operator' when action = 'auth.failed' and unknown_key then 'system' else 'api_key' end,
       case when action = 'account.updated' then $10::text when action = 'auth.failed' and unknown_key then 'system'
            when action = 'auth.failed' then key_id else admin end,
       action,
       case when action = 'account.updated' then 'account' else 'api_key' end,
       case when action = 'account.updated' then $1::text when action = 'auth.failed' and unknown_key then 'unknown' else key_id end,
       '203.0.113.' || (r % 200 + 1),
       case when action <> 'auth.failed' then (array['latchkey-node/1.4.2', 'curl/8.5.0', 'python-requests/2.32.3',
            'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'])[1 + r % 4] end,
       case when action <> 'auth.failed' then 'req_' || md5('req' || seq) end,
       case action
         when 'auth.failed' then jsonb_build_object('reason', (array['unknown_key', 'revoked', 'ip_not_allowed'])[1 + r % 3],
                                                    'count', 1 + r % 20, 'minute', date_trunc('minute', at))
         when 'api_key.updated' then jsonb_build_object('name', jsonb_build_object('before', 'Key ' || r % 1000, 'after', 'Key ' || r % 997))
         when 'api_key.created' then jsonb_build_object('name', jsonb_build_object('before', null, 'after', 'Key ' || r % 1000),
                                                        'scopes', jsonb_build_object('before', null, 'after', jsonb_build_array('keys:read', 'usage:read')))
         when 'api_key.regenerated' then jsonb_build_object('last4', jsonb_build_object('before', substr(md5('l' || seq), 1, 4), 'after', substr(md5('m' || seq), 1, 4)))
         when 'api_key.deactivated' then jsonb_build_object('active', jsonb_build_object('before', true, 'after', false))
         when 'api_key.activated' then jsonb_build_object('active', jsonb_build_object('before', false, 'after', true))
         when 'api_key.revoked' then jsonb_build_object('revoked_at', jsonb_build_object('before', null, 'after', at))
         when 'account.updated' then jsonb_build_object('name', jsonb_build_object('before', 'Audit bench', 'after', 'Audit bench ' || r % 100))
       end,
       case when n = 1 then $7::text else md5('a' || (seq - 1)) || md5('b' || (seq - 1)) end,
       md5('a' || seq) || md5('b' || seq)
  from e`;

/**
 * Appends `count` events to `accountId`'s log after its newest one, in CHUNKS statements, then
 * ANALYZE; then VACUUM, so that autovacuum (due after a million inserts) does not run during the
 * timings and the first reads do not have to set hint bits on every page.
 */
export async function seedAuditEvents(databaseUrl: string, accountId: string, firstKeyId: string, count: number, log: (s: string) => void): Promise<AuditSeed> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const started = performance.now();
    const [last] = (await db.query('select seq, hash from audit_events where account_id = $1 order by seq desc limit 1', [accountId])).rows;
    // The operator's key created the account: it is the actor of account.updated (as in the service).
    const [creator] = (await db.query('select actor_id from audit_events where account_id = $1 order by seq limit 1', [accountId])).rows;
    const base = Number(last?.seq ?? 0);
    const keys = [firstKeyId, ...Array.from({ length: 499 }, () => newId('key'))];
    const actors = keys.slice(0, 50);
    const start = new Date(Date.now() - DAYS * 86_400_000);
    const step = (DAYS * 86_400) / count;
    const per = Math.ceil(count / CHUNKS);
    for (let from = 1; from <= count; from += per) {
      const to = Math.min(count, from + per - 1);
      const t = performance.now();
      await db.query(INSERT, [accountId, base, keys, actors, start, step, last?.hash ?? null, from, to, creator?.actor_id ?? 'operator']);
      log(`  seeding: events ${from.toLocaleString('en-US')}-${to.toLocaleString('en-US')} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    const inserted = (performance.now() - started) / 1000;
    let t = performance.now();
    await db.query('analyze audit_events');
    const analyze = (performance.now() - t) / 1000;
    t = performance.now();
    await db.query('vacuum audit_events');
    const vacuum = (performance.now() - t) / 1000;
    const size = (await db.query(`select pg_size_pretty(pg_table_size('audit_events')) as t, pg_size_pretty(pg_indexes_size('audit_events')) as i`)).rows[0];
    log(`  seeding: insert ${inserted.toFixed(1)} s, ANALYZE ${analyze.toFixed(1)} s, VACUUM ${vacuum.toFixed(1)} s; table ${size.t}, indexes ${size.i}`);
    return { keys, actors, firstSeq: base + 1, lastSeq: base + count, seconds: (performance.now() - started) / 1000 };
  } finally {
    await db.end();
  }
}

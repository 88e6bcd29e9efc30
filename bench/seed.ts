import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { cpuMs } from './load';
import { KeyEnvironment } from '../src/common/auth/environment';
import { newId } from '../src/common/crypto/base62';
import { ServerSecrets } from '../src/common/crypto/server-secrets';
import { ApiKeyFormat } from '../src/keys/api-key-format';
import { KeyHasher } from '../src/keys/key-hasher';

/** The bench plan: as unlimited as the API allows (rate_limit_per_minute is capped at 1,000,000). */
export const BENCH_PLAN = {
  slug: 'bench',
  name: 'Bench',
  api_access: true,
  max_keys: null,
  rate_limit_per_minute: 1_000_000,
  rate_limit_per_hour: 10_000_000,
};
/** Seeding may take this long at most; slower than that and it settles for FALLBACK_KEYS. */
const SEED_BUDGET_S = 180;
const FALLBACK_KEYS = 20_000;

/** 503s the seeding retried (the service's "try again shortly"); reported, since they mean an overloaded pool. */
export const seedStats = { retries: 0 };

async function call(url: string, key: string, method: string, path: string, body?: unknown): Promise<any> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status === 503 && attempt < 5) {
      seedStats.retries++;
      await new Promise((r) => setTimeout(r, 250 * attempt));
      continue;
    }
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text);
  }
}

export interface Seeded {
  /** Every valid key, interleaved across accounts. */
  keys: string[];
  accounts: number;
  seconds: number;
  /** Set when seeding was too slow for the wanted number and stopped at FALLBACK_KEYS. */
  reducedFrom?: number;
  /** Keys created through POST /v1/api-keys (beyond the accounts' own), and the service's CPU time for them. */
  creates: number;
  createCpuMs: number;
  createSeconds: number;
  /** Each account's own key (full scopes). */
  owners: string[];
}

/**
 * The bench plan, `accounts` accounts on it (each comes with a key), then more keys through
 * POST /v1/api-keys, one worker per account (creates lock the account row, so per-account
 * concurrency would only queue) until `wanted` keys exist. Keep `accounts` near the service's
 * database pool (10): more concurrent creates only wait for a connection, and past 2 s get a 503.
 * The service's CPU time is counted over the creates after the first `warmup`.
 */
export async function seedLatchkey(url: string, operatorKey: string, wanted: number, accounts: number, log: (s: string) => void, pid?: number, warmup = 0): Promise<Seeded> {
  const started = performance.now();
  await call(url, operatorKey, 'POST', '/v1/admin/plans', BENCH_PLAN);
  const owners: string[] = [];
  for (let i = 0; i < accounts; i++) {
    const res = await call(url, operatorKey, 'POST', '/v1/admin/accounts', { name: `Bench ${i}`, email: `bench${i}@bench.test`, plan: 'bench' });
    owners.push(res.data.api_key.key);
  }
  const perAccount: string[][] = owners.map((k) => [k]);
  let target = wanted;
  let created = owners.length;
  let reducedFrom: number | undefined;
  let lastReport = performance.now();
  const worker = async (i: number) => {
    while (created < target) {
      created++;
      const res = await call(url, owners[i], 'POST', '/v1/api-keys', { name: `bench key ${created}` });
      perAccount[i].push(res.data.key);
      const elapsed = (performance.now() - started) / 1000;
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        log(`  seeding: ${created} keys after ${elapsed.toFixed(0)} s`);
      }
      // Judge the pace once 1,000 keys are made: the whole lot must fit in the budget.
      if (reducedFrom === undefined && created >= 1_000 && target > FALLBACK_KEYS && (elapsed / created) * target > SEED_BUDGET_S) {
        reducedFrom = target;
        target = FALLBACK_KEYS;
        log(`  seeding at ${(created / elapsed).toFixed(0)} keys/s would take over ${SEED_BUDGET_S} s: using ${FALLBACK_KEYS} keys instead of ${reducedFrom}`);
      }
    }
  };
  // A warm-up, as every other scenario has: the first creates pay for compiling the create path.
  const goal = target;
  target = Math.min(goal, created + warmup);
  await Promise.all(owners.map((_k, i) => worker(i)));
  target = goal;
  const cpuBefore = pid ? cpuMs(pid) : NaN;
  const createStart = performance.now();
  const createdBefore = created;
  await Promise.all(owners.map((_k, i) => worker(i)));
  const createCpuMs = pid ? cpuMs(pid) - cpuBefore : NaN;
  const createSeconds = (performance.now() - createStart) / 1000;
  const keys: string[] = [];
  for (let j = 0; keys.length < created; j++) for (const list of perAccount) if (j < list.length) keys.push(list[j]);
  return { keys, accounts, seconds: (performance.now() - started) / 1000, reducedFrom, creates: created - createdBefore, createCpuMs, createSeconds, owners };
}

/** The tutorial design's own table in the same database, holding the same keys (sha256 hex). */
export async function seedTutorialTable(databaseUrl: string, keys: string[]): Promise<void> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query(`create table tutorial_api_keys (
      id bigserial primary key, hash text not null unique, name text not null, account_id text not null,
      account_name text not null, scopes text[] not null, last_used_at timestamptz)`);
    for (let i = 0; i < keys.length; i += 10_000) {
      const batch = keys.slice(i, i + 10_000);
      await db.query(
        `insert into tutorial_api_keys (hash, name, account_id, account_name, scopes)
         select h, 'bench key ' || n, 'acct_' || (n % 50), 'Bench ' || (n % 50), array['account:read','keys:read','keys:write']
           from unnest($1::text[]) with ordinality as t(h, n)`,
        [batch.map((k) => createHash('sha256').update(k).digest('hex'))],
      );
    }
  } finally {
    await db.end();
  }
}

/** Anything with PostgreSQL's `query(text, params)`: a `pg` Client, or PGlite on the embedded data folder. */
export interface Sql {
  query(text: string, params?: unknown[]): Promise<{ rows: any[] }>;
}

/**
 * Adds keys straight into `api_keys`, each a copy of a key the API created (same account, scopes,
 * restrictions) with a fresh id and secret, generated and hashed exactly as the service does under
 * its KEY_SECRET: the bulk path for the cold path's 100,000 keys. The API's own cost of a create is
 * measured apart (scenario 8). Returns the new keys, interleaved across the templates' accounts.
 */
export async function bulkSeedKeys(db: Sql, keySecret: string, templates: string[], count: number, prefix = 'lk'): Promise<string[]> {
  const secrets = new ServerSecrets(keySecret);
  const format = new ApiKeyFormat(prefix, secrets.checkTagKey);
  const hasher = new KeyHasher(secrets);
  const { rows: columns } = await db.query(
    `select column_name from information_schema.columns where table_name = 'api_keys' and table_schema = current_schema()
      and column_name not in ('id', 'name', 'last4', 'secret_hash', 'grace_secret_hash', 'grace_expires_at', 'last_used_at', 'last_used_ip')`,
  );
  const copied = columns.map((c: { column_name: string }) => `"${c.column_name}"`).join(', ');
  const { rows: sources } = await db.query(`select id from api_keys where secret_hash = any($1::text[])`, [templates.map((k) => hasher.hash(k))]);
  const keys: string[] = [];
  for (let done = 0; done < count; ) {
    const batch = Math.min(5_000, count - done);
    const ids: string[] = [];
    const names: string[] = [];
    const last4: string[] = [];
    const hashes: string[] = [];
    const from: string[] = [];
    for (let i = 0; i < batch; i++, done++) {
      const secret = format.generate(KeyEnvironment.Live);
      keys.push(secret.key);
      ids.push(newId('key'));
      names.push(`bench key ${done}`);
      last4.push(secret.last4);
      hashes.push(hasher.hash(secret.key));
      from.push(sources[done % sources.length].id);
    }
    await db.query(
      `insert into api_keys (id, name, last4, secret_hash, ${copied})
       select v.id, v.name, v.last4, v.hash, ${columns.map((c: { column_name: string }) => `t."${c.column_name}"`).join(', ')}
         from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) as v(id, name, last4, hash, template)
         join api_keys t on t.id = v.template`,
      [ids, names, last4, hashes, from],
    );
  }
  return keys;
}

/**
 * The service and the seeded account of `bench/audit.ts`: a fresh database seeded for this run and
 * dropped after it, or with AUDIT_KEEP=1 a database kept between runs (`latchkey_audit_bench_<events>`
 * on DATABASE_URL's server, its DATA_DIR and state in `<tmpdir>/latchkey-audit-bench-<events>`), seeded
 * by the first run and reused by the next ones while its account still holds exactly the seeded events.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ServiceProcess } from '../test/utils/service-process';
import { createTestDatabase } from '../test/utils/test-database';
import { type AuditSeed, seedAuditEvents } from './audit-seed';
import { type Cleanup, loadLine } from './processes';

const log = (line: string) => process.stdout.write(`${line}\n`);
const int = (n: number) => n.toLocaleString('en-US');
const PLAN = { slug: 'auditbench', name: 'Audit bench', api_access: true, max_keys: null, rate_limit_per_minute: 1_000_000, rate_limit_per_hour: 10_000_000 };

export interface Prepared {
  service: ServiceProcess;
  dbUrl: string;
  accountId: string;
  key: string;
  seed: AuditSeed;
}

interface State {
  keySecret: string;
  accountId: string;
  key: string;
  seed: AuditSeed;
}

async function post(url: string, key: string, path: string, body: unknown): Promise<any> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'X-API-Key': key, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`POST ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function sql<T>(url: string, query: string, params: unknown[] = []): Promise<T[]> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    return (await db.query(query, params)).rows as T[];
  } finally {
    await db.end();
  }
}

function databaseUrl(name: string): string {
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A kept state is reused only while its account holds exactly the seeded chain (nothing was added or pruned). */
async function usable(url: string, state: State | undefined): Promise<boolean> {
  if (!state) return false;
  const [row] = await sql<{ n: string; last: string | null }>(url, 'select count(*) as n, max(seq) as last from audit_events where account_id = $1', [state.accountId]).catch(() => []);
  return Boolean(row) && Number(row.n) === state.seed.lastSeq && Number(row.last) === state.seed.lastSeq;
}

/** Starts the service on the bench's database, seeding its account first when needed. */
export async function preparedService(cleanup: Cleanup, count: number, nodeOptions?: string): Promise<Prepared> {
  const keep = process.env.AUDIT_KEEP === '1';
  let dir: string;
  let dbUrl: string;
  let state: State | undefined;
  if (keep) {
    dir = join(tmpdir(), `latchkey-audit-bench-${count}`);
    const name = `latchkey_audit_bench_${count}`;
    dbUrl = databaseUrl(name);
    const exists = (await sql(process.env.DATABASE_URL!, 'select 1 from pg_database where datname = $1', [name])).length > 0;
    const file = join(dir, 'state.json');
    state = exists && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as State) : undefined;
    if (!(await usable(dbUrl, state))) {
      state = undefined;
      await sql(process.env.DATABASE_URL!, `drop database if exists "${name}" with (force)`);
      await sql(process.env.DATABASE_URL!, `create database "${name}"`);
      rmSync(dir, { recursive: true, force: true });
    }
    mkdirSync(dir, { recursive: true });
    log(`database: ${state ? 'kept' : 'new'} PostgreSQL database ${name}, kept after the run (AUDIT_KEEP=1); DATA_DIR ${dir}`);
  } else {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-audit-bench-'));
    cleanup.add('temp dir', () => rmSync(dir, { recursive: true, force: true }));
    const db = await createTestDatabase();
    cleanup.add('database', () => db.drop());
    dbUrl = db.url!;
    log(`database: fresh PostgreSQL database ${new URL(dbUrl).pathname.slice(1)}`);
  }
  const keySecret = state?.keySecret ?? randomBytes(24).toString('hex');
  const service = await ServiceProcess.start({
    NODE_OPTIONS: nodeOptions,
    DATABASE_URL: dbUrl,
    DATA_DIR: dir,
    KEY_SECRET: keySecret,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    REDIS_URL: undefined,
  });
  cleanup.add('latchkey', () => service.stop());
  await service.ready();
  if (state) {
    log(`seeding: reused ${int(count)} events (seq ${int(state.seed.firstSeq)}-${int(state.seed.lastSeq)}) on ${state.accountId}`);
    return { service, dbUrl, ...state };
  }
  const operatorKey = readFileSync(join(dir, 'operator.key'), 'utf8').trim();
  await post(service.url, operatorKey, '/v1/admin/plans', PLAN);
  const created = (await post(service.url, operatorKey, '/v1/admin/accounts', { name: 'Audit bench', email: 'audit@bench.test', plan: PLAN.slug })).data;
  const accountId: string = created.account.id;
  const key: string = created.api_key.key;
  log(`seeding: ${int(count)} audit events for ${accountId} in SQL...`);
  const seed = await seedAuditEvents(dbUrl, accountId, created.api_key.id, count, log);
  log(`seeding: ${int(count)} events (seq ${int(seed.firstSeq)}-${int(seed.lastSeq)}) in ${seed.seconds.toFixed(1)} s; load average ${loadLine()}`);
  if (keep) writeFileSync(join(dir, 'state.json'), JSON.stringify({ keySecret, accountId, key, seed } satisfies State), { mode: 0o600 });
  return { service, dbUrl, accountId, key, seed };
}

/**
 * `npm run bench:webhooks`: outbound webhook delivery to a local receiver. A fresh database on
 * DATABASE_URL's server (required), the built service as a child process (private networks
 * allowed, so it may reach the receiver on loopback), one account with one endpoint.
 *
 * Two cases, WEBHOOK_EVENTS (1000) events each:
 * - burst: the events committed in one transaction (SQL, the same rows enqueue writes), then drained;
 * - stream: one key created per event through POST /v1/api-keys (16 at a time), delivered as they commit.
 * Prints events per second and the lag from commit to receipt (p50/p99); exits non-zero on a lost or duplicate event.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { ServiceProcess } from '../test/utils/service-process';
import { createTestDatabase } from '../test/utils/test-database';
import { percentile } from './audit-measure';
import { Cleanup, machine, runBench } from './processes';

const EVENTS = Number(process.env.WEBHOOK_EVENTS ?? 1000);
const CONCURRENCY = 16;
const PLAN = { slug: 'hookbench', name: 'Webhook bench', api_access: true, max_keys: null, rate_limit_per_minute: 1_000_000, rate_limit_per_hour: 10_000_000 };
const log = (line: string) => process.stdout.write(`${line}\n`);

async function post(url: string, key: string, path: string, body: unknown): Promise<any> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'X-API-Key': key, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`POST ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Receipt times by webhook-id; `until(n)` resolves when n distinct ids have arrived. */
function receiver() {
  const seen = new Map<string, number>();
  /** Receipt times by the key id an `api_key.created` event carries. */
  const byObject = new Map<string, number>();
  let duplicates = 0;
  let waiting: { n: number; done: () => void } | undefined;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const at = performance.timeOrigin + performance.now();
      const id = String(req.headers['webhook-id']);
      if (seen.has(id)) duplicates++;
      else seen.set(id, at);
      const objectId = (JSON.parse(body) as { data: { object: { id?: string } } }).data.object.id;
      if (objectId && !byObject.has(objectId)) byObject.set(objectId, at);
      res.writeHead(200).end();
      if (waiting && seen.size >= waiting.n) waiting.done();
    });
  });
  return {
    server,
    seen,
    byObject,
    duplicates: () => duplicates,
    until: (n: number, ms = 120_000) =>
      new Promise<void>((resolve, reject) => {
        if (seen.size >= n) return resolve();
        const timer = setTimeout(() => reject(new Error(`only ${seen.size} of ${n} events arrived in ${ms / 1000} s`)), ms);
        waiting = { n, done: () => (clearTimeout(timer), resolve()) };
      }),
  };
}

function report(name: string, committed: Map<string, number>, seen: Map<string, number>, firstCommit: number) {
  const lags = [...committed].map(([id, at]) => (seen.get(id) ?? NaN) - at).sort((a, b) => a - b);
  const last = Math.max(...[...committed.keys()].map((id) => seen.get(id) ?? 0));
  const rate = committed.size / ((last - firstCommit) / 1000);
  log(`${name.padEnd(7)} ${String(committed.size).padStart(6)} events  ${rate.toFixed(0).padStart(6)} events/s  lag p50 ${percentile(lags, 0.5).toFixed(1)} ms  p99 ${percentile(lags, 0.99).toFixed(1)} ms  max ${lags[lags.length - 1].toFixed(1)} ms`);
}

async function bench(cleanup: Cleanup): Promise<number> {
  log(`machine: ${machine()}`);
  if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL must name a PostgreSQL server');
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-webhook-bench-'));
  cleanup.add('temp dir', () => rmSync(dir, { recursive: true, force: true }));
  const db = await createTestDatabase();
  cleanup.add('database', () => db.drop());
  const hooks = receiver();
  await new Promise<void>((resolve) => hooks.server.listen(0, '127.0.0.1', resolve));
  cleanup.add('receiver', () => new Promise((resolve) => (hooks.server.closeAllConnections(), hooks.server.close(resolve))));
  const service = await ServiceProcess.start({
    DATABASE_URL: db.url, DATA_DIR: dir, KEY_SECRET: randomBytes(24).toString('hex'), LOG_LEVEL: 'warn', NODE_ENV: 'production',
    REDIS_URL: undefined, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
  });
  cleanup.add('latchkey', () => service.stop());
  await service.ready();
  const operatorKey = readFileSync(join(dir, 'operator.key'), 'utf8').trim();
  await post(service.url, operatorKey, '/v1/admin/plans', PLAN);
  const created = await post(service.url, operatorKey, '/v1/admin/accounts', { name: 'Hook bench', email: 'bench@hooks.test', plan: PLAN.slug });
  const key: string = created.data.api_key.key;
  const accountId: string = created.data.account.id;
  const url = `http://127.0.0.1:${(hooks.server.address() as AddressInfo).port}/hook`;
  await post(service.url, key, '/v1/webhook-endpoints', { url, event_types: ['api_key.created', 'webhook.test'] });
  log(`service: ${service.url} (NODE_ENV=production), receiver ${url}, ${EVENTS} events per case`);

  // burst: one transaction commits every event, as a bulk change would.
  const sql = new Pool({ connectionString: db.url, max: CONCURRENCY });
  cleanup.add('sql', () => sql.end());
  const tx = await sql.connect();
  await tx.query('begin');
  const { rows } = await tx.query<{ id: string }>(
    `with ev as (
       insert into webhook_events (id, account_id, type, environment, body, created_at)
       select 'msg_' || lpad(n::text, 22, '0'), $1, 'webhook.test', null,
              json_build_object('id', 'msg_' || lpad(n::text, 22, '0'), 'type', 'webhook.test', 'timestamp', now(), 'data', json_build_object('object', '{}'::json, 'environment', null))::text, now()
       from generate_series(1, $2::int) n returning id, account_id, type, created_at)
     , d as (insert into webhook_deliveries (id, event_id, endpoint_id, account_id, event_type, status, attempts, next_attempt_at, created_at, updated_at)
       select 'whd_' || replace(gen_random_uuid()::text, '-', ''), ev.id, e.id, ev.account_id, ev.type, 'pending', 0, ev.created_at, ev.created_at, ev.created_at
       from ev join webhook_endpoints e on e.account_id = ev.account_id returning event_id as id)
     select id from d`,
    [accountId, EVENTS],
  );
  await tx.query(`select pg_notify('latchkey_webhooks', '')`);
  await tx.query('commit');
  tx.release();
  const burstCommit = performance.timeOrigin + performance.now();
  await hooks.until(EVENTS);
  report('burst', new Map(rows.map((r) => [r.id, burstCommit])), hooks.seen, burstCommit);

  // stream: keys created through the API; each answer comes after its commit.
  const committed = new Map<string, number>();
  const streamStart = performance.timeOrigin + performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < EVENTS) {
        next++;
        const res = await post(service.url, key, '/v1/api-keys', { name: `bench ${next}` });
        committed.set(res.data.id, performance.timeOrigin + performance.now());
      }
    }),
  );
  const createSeconds = (performance.timeOrigin + performance.now() - streamStart) / 1000;
  await hooks.until(EVENTS * 2);
  report('stream', committed, hooks.byObject, streamStart);
  log(`stream: keys created at ${(EVENTS / createSeconds).toFixed(0)}/s (${CONCURRENCY} at a time); lag counted from each create's answer, which follows its commit`);
  // Receipt comes before the attempt is recorded: give the last records a moment.
  let n = -1;
  for (let tries = 0; tries < 50 && n !== 0; tries++) {
    if (tries) await new Promise((resolve) => setTimeout(resolve, 100));
    n = (await sql.query<{ n: number }>(`select count(*)::int as n from webhook_deliveries where status <> 'succeeded'`)).rows[0].n;
  }
  log(`duplicates ${hooks.duplicates()}, deliveries not succeeded ${n}`);
  return hooks.duplicates() === 0 && n === 0 ? 0 : 1;
}

void runBench('webhook bench', bench);

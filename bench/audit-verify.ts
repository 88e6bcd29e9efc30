/**
 * `npm run bench:verify`: GET /v1/audit-events/verify on a 100,000-event chain, and what it costs
 * another tenant. A fresh database on DATABASE_URL's server (required), the built service as a
 * child process, a correctly chained log seeded in SQL (hashed here with the service's own
 * AuditService and KEY_SECRET). The neighbour's GET /v1/account is sent at a steady rate, alone
 * and then while several full checks run at once; its p50/p99 are printed side by side.
 *
 * Knobs (environment): VERIFY_EVENTS (100000), VERIFY_CONCURRENT (5), VERIFY_RATE (100 req/s),
 * VERIFY_BASELINE_S (5); VERIFY_SERVICE_NODE_OPTIONS (node flags for the service, on its command
 * line, so --trace-gc works too) and VERIFY_SERVICE_OUTPUT (a file for everything the service
 * printed). Exits non-zero when a request failed or the chain did not verify.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { AuditEvent } from '../src/audit/audit-event.entity';
import { AuditService } from '../src/audit/audit.service';
import { newId } from '../src/common/crypto/base62';
import { ServerSecrets } from '../src/common/crypto/server-secrets';
import { ServiceProcess } from '../test/utils/service-process';
import { createTestDatabase } from '../test/utils/test-database';
import { percentile } from './audit-measure';
import { Cleanup, loadLine, machine, runBench } from './processes';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TARGET_P99_MS = 50;
const PLAN = { slug: 'verifybench', name: 'Verify bench', api_access: true, max_keys: null, rate_limit_per_minute: 1_000_000, rate_limit_per_hour: 10_000_000 };
const failures: string[] = [];

async function call(url: string, key: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { 'X-API-Key': key, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text).data;
}

/** Appends `count` chained events after the account's newest, 2,000 rows per INSERT. */
async function seedChain(dbUrl: string, secret: string, accountId: string, count: number): Promise<void> {
  const audit = new AuditService(new ServerSecrets(secret));
  const db = new Client({ connectionString: dbUrl });
  await db.connect();
  try {
    const [last] = (await db.query('select seq, hash from audit_events where account_id = $1 order by seq desc limit 1', [accountId])).rows;
    let prevHash: string | null = last?.hash ?? null;
    let seq = Number(last?.seq ?? 0);
    const start = Date.now() - 30 * 86_400_000;
    for (let done = 0; done < count; ) {
      const rows: Record<string, unknown>[] = [];
      for (const end = Math.min(count, done + 2_000); done < end; done++) {
        const event = Object.assign(new AuditEvent(), {
          id: newId('evt'), accountId, seq: String(++seq), occurredAt: new Date(start + done * 20_000),
          actorType: 'api_key', actorId: `key_bench${done % 50}`, action: 'api_key.updated', targetType: 'api_key', targetId: `key_target${done % 500}`,
          ip: `203.0.113.${(done % 200) + 1}`, userAgent: 'latchkey-node/1.4.2', requestId: `req_${done.toString(36)}`,
          changes: { name: { before: `Key ${done}`, after: `Key ${done + 1}` } }, prevHash, hash: '',
        });
        event.hash = audit.linkHash(prevHash, event);
        prevHash = event.hash;
        rows.push({
          id: event.id, account_id: accountId, seq: event.seq, occurred_at: event.occurredAt.toISOString(), actor_type: event.actorType,
          actor_id: event.actorId, action: event.action, target_type: event.targetType, target_id: event.targetId, ip: event.ip,
          user_agent: event.userAgent, request_id: event.requestId, changes: event.changes, prev_hash: event.prevHash, hash: event.hash,
        });
      }
      await db.query('insert into audit_events select * from json_populate_recordset(null::audit_events, $1)', [JSON.stringify(rows)]);
    }
    await db.query('vacuum analyze audit_events');
  } finally {
    await db.end();
  }
}

interface Load {
  latencies: number[];
  seconds: number;
}

/** GET /v1/account at `rate` per second, evenly paced (open loop), until `until` settles. */
async function steadyLoad(url: string, key: string, rate: number, until: Promise<unknown>): Promise<Load> {
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  let running = true;
  until.finally(() => (running = false)).catch(() => undefined);
  const started = performance.now();
  for (let i = 0; running; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const sent = performance.now();
    pending.push(
      fetch(`${url}/v1/account`, { headers: { 'X-API-Key': key } }).then(
        async (res) => {
          await res.arrayBuffer();
          latencies.push(performance.now() - sent);
          if (res.status !== 200) failures.push(`GET /v1/account: ${res.status}`);
        },
        (err: Error) => void failures.push(`GET /v1/account: ${err.message}`),
      ),
    );
  }
  await Promise.all(pending);
  return { latencies: latencies.sort((a, b) => a - b), seconds: (performance.now() - started) / 1000 };
}

async function bench(cleanup: Cleanup): Promise<number> {
  log(`machine: ${machine()}`);
  if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL must name a PostgreSQL server: the events are seeded in SQL');
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-verify-bench-'));
  cleanup.add('temp dir', () => rmSync(dir, { recursive: true, force: true }));
  const db = await createTestDatabase();
  cleanup.add('database', () => db.drop());
  const secret = randomBytes(24).toString('hex');
  const nodeFlags = (process.env.VERIFY_SERVICE_NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);
  const service = await ServiceProcess.start({ DATABASE_URL: db.url, DATA_DIR: dir, KEY_SECRET: secret, LOG_LEVEL: 'warn', NODE_ENV: 'production', REDIS_URL: undefined }, nodeFlags);
  cleanup.add('latchkey', async () => {
    await service.stop();
    if (process.env.VERIFY_SERVICE_OUTPUT) writeFileSync(process.env.VERIFY_SERVICE_OUTPUT, service.output.join(''));
    const problems = service.output.join('').split('\n').filter((l) => /"level":(40|50|60)/.test(l));
    if (problems.length) log(`service warnings and errors (${problems.length}), the first:\n${problems.slice(0, 5).join('\n')}`);
  });
  await service.ready();
  const operatorKey = readFileSync(join(dir, 'operator.key'), 'utf8').trim();
  await call(service.url, operatorKey, '/v1/admin/plans', PLAN);
  const account = async (name: string) => (await call(service.url, operatorKey, '/v1/admin/accounts', { name, email: `${name}@bench.test`, plan: PLAN.slug }));
  const big = await account('chain');
  const neighbour = await account('neighbour');

  const count = env('VERIFY_EVENTS', 100_000);
  const concurrent = env('VERIFY_CONCURRENT', 5);
  const rate = env('VERIFY_RATE', 100);
  let t = performance.now();
  await seedChain(db.url!, secret, big.account.id, count);
  const total = count + 2; // with the account's own account.created and api_key.created
  log(`seeded ${total.toLocaleString('en-US')} chained events in ${((performance.now() - t) / 1000).toFixed(1)} s; load average ${loadLine()}`);

  for (let i = 0; i < 200; i++) await call(service.url, neighbour.api_key.key, '/v1/account');
  const alone = await steadyLoad(service.url, neighbour.api_key.key, rate, sleep(env('VERIFY_BASELINE_S', 5) * 1000));

  t = performance.now();
  log(`neighbour alone: ${alone.latencies.length} requests in ${alone.seconds.toFixed(1)} s; now ${concurrent} concurrent full verifies... (load average ${loadLine()})`);
  const verifyOnce = () =>
    call(service.url, big.api_key.key, '/v1/audit-events/verify?full=true').catch((err: Error) => {
      failures.push(`verify?full=true: ${err.message.slice(0, 200)}`);
      return { ok: false, checked: NaN };
    });
  const checks = Promise.all(Array.from({ length: concurrent }, verifyOnce));
  const during = await steadyLoad(service.url, neighbour.api_key.key, rate, checks);
  const answers: { ok: boolean; checked: number }[] = await checks;
  const fullSeconds = (performance.now() - t) / 1000;
  for (const a of answers) if (!a.ok || a.checked !== total) failures.push(`verify?full=true answered ${JSON.stringify(a)}`);
  log(`verifies done in ${fullSeconds.toFixed(1)} s; an incremental one after 100 new events...`);

  const after = await steadyLoad(service.url, neighbour.api_key.key, rate, sleep(env('VERIFY_BASELINE_S', 5) * 1000));
  await seedChain(db.url!, secret, big.account.id, 100);
  t = performance.now();
  const incremental = await call(service.url, big.api_key.key, '/v1/audit-events/verify');
  const incrementalMs = performance.now() - t;
  if (!incremental.ok || incremental.checked !== 100) failures.push(`verify answered ${JSON.stringify(incremental)}`);

  const row = (name: string, l: Load) => {
    const p99 = percentile(l.latencies, 0.99);
    return `| ${name} | ${l.latencies.length} | ${(l.latencies.length / l.seconds).toFixed(0)} | ${percentile(l.latencies, 0.5).toFixed(1)} ms | ${p99.toFixed(1)} ms | ${l.latencies[l.latencies.length - 1].toFixed(1)} ms | p99 < ${TARGET_P99_MS} ms | ${p99 < TARGET_P99_MS ? 'met' : 'MISSED'} |`;
  };
  log('');
  log(`machine: ${machine()}`);
  log(`chain: ${total.toLocaleString('en-US')} events on one account; ${concurrent} concurrent GET /v1/audit-events/verify?full=true took ${fullSeconds.toFixed(1)} s, answered ${JSON.stringify(answers[0])}`);
  log(`incremental GET /v1/audit-events/verify after 100 new events: ${incrementalMs.toFixed(0)} ms, answered ${JSON.stringify(incremental)}`);
  log('| neighbour GET /v1/account | requests | req/s | p50 | p99 | max | target | |');
  log('|---|---|---|---|---|---|---|---|');
  log(row('without verify, before', alone));
  log(row(`during ${concurrent} full verifies`, during));
  log(row('without verify, after', after));
  if (failures.length) {
    log(`\nFAILED: ${failures.length} request(s):`);
    for (const f of failures.slice(0, 20)) log(`  ${f}`);
  }
  const p99 = percentile(during.latencies, 0.99);
  log(`verify bench: neighbour p99 ${percentile(alone.latencies, 0.99).toFixed(1)} ms alone, ${p99.toFixed(1)} ms during ${concurrent} full verifies of ${total.toLocaleString('en-US')} events (target < ${TARGET_P99_MS} ms: ${p99 < TARGET_P99_MS ? 'met' : 'missed'}); load average ${loadLine()}`);
  return failures.length ? 1 : 0;
}

void runBench('verify bench', bench);

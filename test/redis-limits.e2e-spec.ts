import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, ServiceProcess } from './utils/service-process';
import { createTestDatabase, type TestDatabase } from './utils/test-database';

const KEY_SECRET = 'redis-limits-e2e-shared-key-secret-0123456789abc'; // 48 characters
const FALLBACK = "rate limits fall back to this instance's own counters";
const BACK = 'rate limits are shared again';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const redisCli = (port: number, ...args: string[]) => {
  const res = spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 5000 });
  if (res.error) throw new Error(`redis-cli is needed for this test: ${res.error.message}`);
  return res.stdout.trim();
};
/** Keys of this account's counters: each contains the account id (`{lk:acct:<id>:live:minute:minute}:hits`). */
const counterKeys = (port: number, accountId: string) => redisCli(port, '--scan', '--pattern', `*${accountId}*`).split('\n').filter(Boolean);
const waitForPong = async (port: number) => {
  for (const deadline = Date.now() + 5000; Date.now() < deadline; await sleep(50)) if (redisCli(port, 'ping') === 'PONG') return;
  throw new Error(`redis-server on port ${port} did not answer PING within 5 s`);
};

/** One service process per temp DATA_DIR, on a database of this file's own, with the operator key A wrote. */
function fixture() {
  const f = { db: undefined as TestDatabase | undefined, dirs: [] as string[], services: [] as ServiceProcess[], operatorKey: '' };
  const start = async (env: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-redis-'));
    f.dirs.push(dir);
    const service = await ServiceProcess.start({ DATABASE_URL: f.db!.url, DATA_DIR: dir, KEY_SECRET, NODE_ENV: 'test', ...env });
    f.services.push(service);
    await service.ready();
    f.operatorKey ||= readFileSync(join(dir, 'operator.key'), 'utf8').trim();
    return service;
  };
  const cleanup = async () => {
    await Promise.all(f.services.map((s) => s.stop()));
    await f.db?.drop();
    for (const dir of f.dirs) rmSync(dir, { recursive: true, force: true });
  };
  const createProAccount = async (service: ServiceProcess, name: string) => {
    const res = await fetch(`${service.url}/v1/admin/accounts`, {
      method: 'POST',
      headers: { 'X-API-Key': f.operatorKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name, email: `${name}@redis.test`, plan: 'pro' }),
    });
    const body = (await res.json()) as any;
    if (res.status !== 201) throw new Error(`account creation: ${res.status} ${JSON.stringify(body)}`);
    return { accountId: body.data.account.id as string, key: body.data.api_key.key as string };
  };
  return { f, start, cleanup, createProAccount };
}

/** GET /v1/me; any answer but 200 or 429 (a 5xx above all) fails the test on the spot. */
async function me(service: ServiceProcess, key: string) {
  const t0 = performance.now();
  const res = await fetch(`${service.url}/v1/me`, { headers: { 'X-API-Key': key } });
  const body = (await res.json()) as { code?: string };
  const ms = performance.now() - t0;
  if (res.status !== 200 && res.status !== 429) throw new Error(`GET /v1/me answered ${res.status}: ${JSON.stringify(body)}`);
  return { status: res.status, code: body.code, remaining: res.headers.get('x-ratelimit-remaining'), retryAfter: res.headers.get('retry-after'), ms };
}

const suite = process.env.DATABASE_URL ? describe : describe.skip;
const needsDb = (title: string) => (process.env.DATABASE_URL ? title : `${title} (skipped: needs DATABASE_URL, two processes cannot share the embedded database)`);

suite(needsDb('two instances share one budget through Redis (e2e, machine Redis on 6379)'), () => {
  const { f, start, cleanup, createProAccount } = fixture();
  let a: ServiceProcess, b: ServiceProcess;
  beforeAll(async () => {
    if (redisCli(6379, 'ping') !== 'PONG') throw new Error('this test needs the local Redis at 127.0.0.1:6379');
    f.db = await createTestDatabase();
    a = await start({ REDIS_URL: 'redis://127.0.0.1:6379', LOG_LEVEL: 'warn' });
    b = await start({ REDIS_URL: 'redis://127.0.0.1:6379', LOG_LEVEL: 'warn' }); // finds the operator account A created
  }, 120_000);
  afterAll(cleanup);

  it('allows 60 requests a minute on pro across A and B together, not 60 each', async () => {
    const { accountId, key } = await createProAccount(a, 'shared');
    for (let i = 1; i <= 60; i++) {
      const res = await me(i % 2 ? a : b, key);
      expect([i, res.status, res.remaining]).toEqual([i, 200, String(60 - i)]); // one count, whichever instance answers
    }
    for (const service of [a, b]) {
      const res = await me(service, key);
      expect([res.status, res.code, res.remaining]).toEqual([429, 'RATE_LIMITED', '0']);
      expect(Number(res.retryAfter)).toBeGreaterThan(0);
    }
    expect(counterKeys(6379, accountId).length).toBeGreaterThan(0);
    // Neither instance fell back to its own counters at any point.
    expect([...a.output, ...b.output].join('')).not.toContain(FALLBACK);
  });

  it('holds the limit exactly when 300 requests overlap across both instances', async () => {
    const { key } = await createProAccount(a, 'burst');
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => me(i % 2 ? a : b, key)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(60);
    expect(results.filter((r) => r.status === 429)).toHaveLength(240);
  });
});

suite(needsDb('Redis stopping mid-traffic (e2e, a redis-server of its own)'), () => {
  const { f, start, cleanup, createProAccount } = fixture();
  let port: number;
  let redis: ChildProcess | undefined;
  let service: ServiceProcess;
  const startRedis = async () => {
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const failed = once(redis, 'error').then(([err]) => {
      throw new Error(`cannot start redis-server (is it installed and on PATH?): ${(err as Error).message}`);
    });
    await Promise.race([waitForPong(port), failed]);
  };
  const killRedis = async () => {
    if (!redis || redis.exitCode !== null || redis.signalCode !== null) return;
    const exited = once(redis, 'exit');
    redis.kill('SIGKILL');
    await exited;
  };
  const logged = (text: string) => service.output.join('').includes(text);

  beforeAll(async () => {
    port = await freePort();
    await startRedis();
    f.db = await createTestDatabase();
    service = await start({ REDIS_URL: `redis://127.0.0.1:${port}`, LOG_LEVEL: 'info' });
  }, 120_000);
  afterAll(async () => {
    const redisLines = service?.output.join('').split('\n').filter((l) => l.includes('Redis'));
    if (redisLines?.length) console.log(`service's Redis log lines:\n${redisLines.join('\n')}`);
    await killRedis();
    await cleanup();
  });

  it('keeps answering 200/429 without Redis, enforces the limit in process, and shares counters again once Redis is back', async () => {
    const { accountId, key } = await createProAccount(service, 'outage');
    for (let i = 1; i <= 10; i++) expect((await me(service, key)).remaining).toBe(String(60 - i));
    expect(counterKeys(port, accountId).length).toBeGreaterThan(0); // the counts are in our Redis

    await killRedis();
    // The fallback counter starts from zero: at most 60 of the next 61 pass, then 429 (limit held per instance).
    const after = [];
    for (let i = 0; i < 61; i++) after.push(await me(service, key));
    const passed = after.filter((r) => r.status === 200).length;
    const firstMs = after.slice(0, 5).map((r) => Math.round(r.ms));
    console.log(`after SIGKILL: first 5 requests took ${firstMs.join(', ')} ms, slowest of 61 ${Math.max(...after.map((r) => r.ms)).toFixed(1)} ms; ${passed} passed`);
    expect(after.slice(0, 5).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    for (const ms of firstMs) expect(ms).toBeLessThan(1000);
    expect(passed).toBeLessThanOrEqual(60); // so at least one of the 61 is a 429
    expect(after.filter((r) => r.status === 429).every((r) => r.code === 'RATE_LIMITED')).toBe(true);
    expect(logged(FALLBACK)).toBe(true);

    await startRedis(); // same port, empty (no persistence)
    const t0 = performance.now();
    while (!logged(BACK) && performance.now() - t0 < 5000) {
      await me(service, key); // 200 or 429, never 5xx
      await sleep(100);
    }
    console.log(`service logged "${BACK}" ${(performance.now() - t0).toFixed(0)} ms after redis-server answered PONG again`);
    expect(logged(BACK)).toBe(true);

    const fresh = await createProAccount(service, 'after-outage');
    expect((await me(service, fresh.key)).remaining).toBe('59');
    expect(counterKeys(port, fresh.accountId).length).toBeGreaterThan(0); // counted in Redis again
  }, 60_000);
});

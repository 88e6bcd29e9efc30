import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, ServiceProcess } from '../utils/service-process';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';

const KEY_SECRET = 'faults-redis-e2e-key-secret-0123456789abcdefghij'; // 48 characters
const PRO_PER_MINUTE = 60;
const BACK = 'rate limits are shared again';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * test/redis-limits.e2e-spec.ts kills Redis (SIGKILL) under sequential traffic. This one freezes it
 * (SIGSTOP: connections stay open, nothing answers) under concurrent traffic, then restarts it, and
 * checks only the two promises: never a 5xx (or a hang), and never unlimited.
 */
describe('Redis frozen, then restarted, under concurrent traffic (e2e, a redis-server of its own)', () => {
  let port = 0;
  let redis: ChildProcess | undefined;
  let db: TestDatabase | undefined;
  let dataDir: string | undefined;
  let service: ServiceProcess | undefined;

  const startRedis = async () => {
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await sleep(50)) {
      if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8', timeout: 2000 }).stdout?.trim() === 'PONG') return;
    }
    throw new Error(`redis-server on port ${port} did not answer PING within 5 s`);
  };
  const killRedis = async () => {
    if (!redis || redis.exitCode !== null || redis.signalCode !== null) return;
    const exited = once(redis, 'exit');
    redis.kill('SIGKILL'); // also ends a stopped (SIGSTOP) process
    await exited;
  };
  type Tally = { passed: number; limited: number; other: number[]; slowest: number };
  const total = (t: Tally) => t.passed + t.limited + t.other.length;
  /** `count` GET /v1/me, `concurrency` at a time, added to `tally`: 200s, 429s, anything else, the slowest answer. */
  const burst = async (key: string, count: number, concurrency: number, tally: Tally = { passed: 0, limited: 0, other: [], slowest: 0 }) => {
    let next = 0;
    const worker = async () => {
      while (next++ < count) {
        const t0 = performance.now();
        const res = await fetch(`${service!.url}/v1/me`, { headers: { 'X-API-Key': key }, signal: AbortSignal.timeout(5000) });
        await res.arrayBuffer();
        tally.slowest = Math.max(tally.slowest, performance.now() - t0);
        if (res.status === 200) tally.passed++;
        else if (res.status === 429) tally.limited++;
        else tally.other.push(res.status);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return tally;
  };

  beforeAll(async () => {
    port = await freePort();
    await startRedis();
    db = await createTestDatabase(); // a database of its own, or the embedded one without DATABASE_URL
    dataDir = mkdtempSync(join(tmpdir(), 'latchkey-faults-redis-'));
    service = await ServiceProcess.start({
      DATABASE_URL: db.url, DATA_DIR: dataDir, KEY_SECRET, NODE_ENV: 'test', LOG_LEVEL: 'info', REDIS_URL: `redis://127.0.0.1:${port}`,
    });
    await service.ready();
  }, 90_000);

  afterAll(async () => {
    await service?.stop();
    await killRedis();
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 200/429 only, within 1 s, at most 60 a minute per phase, and logs that limits are shared again', async () => {
    const operatorKey = readFileSync(join(dataDir!, 'operator.key'), 'utf8').trim();
    const res = await fetch(`${service!.url}/v1/admin/accounts`, {
      method: 'POST',
      headers: { 'X-API-Key': operatorKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Frozen', email: 'ops@frozen.test', plan: 'pro' }),
    });
    expect(res.status).toBe(201);
    const key = ((await res.json()) as any).data.api_key.key as string;

    const shared = await burst(key, 10, 1); // counted in Redis
    redis!.kill('SIGSTOP');
    const frozen = await burst(key, 100, 10); // Redis hangs: each instance falls back to its own counters from zero
    const t0 = performance.now();
    await killRedis();
    await startRedis(); // same port, empty
    // The service goes back to Redis on a request, once its back-off after the last failure is over.
    const restarted = await burst(key, 1, 1);
    while (!service!.output.join('').includes(BACK) && performance.now() - t0 < 10_000) await sleep(100).then(() => burst(key, 1, 1, restarted));
    const backMs = performance.now() - t0;
    const meanwhile = total(restarted);
    await burst(key, 100 - meanwhile, 10, restarted); // counted in the new, empty Redis
    console.log(
      `Redis up: ${shared.passed}/10 passed; frozen: ${frozen.passed} passed, ${frozen.limited} limited, slowest ${frozen.slowest.toFixed(0)} ms; ` +
        `"${BACK}" logged ${backMs.toFixed(0)} ms after the restart began (${meanwhile} requests meanwhile); restarted: ${restarted.passed} passed, ${restarted.limited} limited, ` +
        `slowest ${restarted.slowest.toFixed(0)} ms`,
    );
    expect(shared).toMatchObject({ passed: 10, other: [] });
    for (const phase of [frozen, restarted]) {
      expect(phase.other).toEqual([]); // no 5xx, nothing but 200 and 429
      expect(phase.slowest).toBeLessThan(1000);
      expect(phase.passed).toBeGreaterThan(0);
      expect(phase.passed).toBeLessThanOrEqual(PRO_PER_MINUTE); // never unlimited
      expect(total(phase)).toBe(100);
    }
    expect(service!.output.join('')).toContain("rate limits fall back to this instance's own counters");
    expect(service!.output.join('')).toContain(BACK);
  }, 60_000);
});

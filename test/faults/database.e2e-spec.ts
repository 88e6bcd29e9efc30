import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ServiceProcess } from '../utils/service-process';
import { OwnPostgres } from './utils/own-postgres';

const KEY_SECRET = 'faults-database-e2e-key-secret-0123456789abcdefg'; // 48 characters
const REQUEST_LIMIT_MS = 5000; // no answer may take longer, up or down
const RECOVERY_LIMIT_MS = 5000; // from PostgreSQL accepting connections to /v1/me answering 200
const WORKERS = 4;
const INVALID_KEY = `lk_live_${'A'.repeat(48)}`; // well-shaped, wrong check tag: refused without the database
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Kind = 'cached' | 'fresh' | 'invalid' | 'health';
type Seen = { kind: Kind; sentAt: number; doneAt: number; status: number; code?: string; error?: string };

describe('PostgreSQL stopped under load (e2e, a private cluster)', () => {
  let pg: OwnPostgres | undefined;
  let service: ServiceProcess | undefined;
  let dataDir: string | undefined;
  let operatorKey = '';
  let accountKey = '';

  const call = async (method: string, path: string, key: string, body?: object) => {
    const res = await fetch(`${service!.url}${path}`, {
      method,
      headers: { ...(key && { 'X-API-Key': key }), ...(body && { 'Content-Type': 'application/json' }) },
      body: body && JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_LIMIT_MS + 1000),
    });
    return { status: res.status, body: (await res.json()) as { code?: string; data?: any } };
  };
  const expectStatus = async (pending: ReturnType<typeof call>, status: number) => {
    const res = await pending;
    if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.data;
  };
  const newKey = async (name: string) => (await expectStatus(call('POST', '/v1/api-keys', accountKey, { name }), 201)).key as string;
  const probe = async (kind: Kind, path: string, key: string): Promise<Seen> => {
    const sentAt = performance.now();
    const res = await call('GET', path, key).catch((err: Error) => ({ status: 0, error: err.message, body: {} as { code?: string } }));
    return { kind, sentAt, doneAt: performance.now(), status: res.status, code: res.body.code, error: 'error' in res ? res.error : undefined };
  };

  beforeAll(async () => {
    pg = await OwnPostgres.create();
    dataDir = mkdtempSync(join(tmpdir(), 'latchkey-faults-db-'));
    service = await ServiceProcess.start({ DATABASE_URL: pg.url, DATA_DIR: dataDir, KEY_SECRET, LOG_LEVEL: 'warn', NODE_ENV: 'test', REDIS_URL: undefined });
    await service.ready();
    operatorKey = readFileSync(join(dataDir, 'operator.key'), 'utf8').trim();
    const plan = { slug: 'unlimited', name: 'Unlimited', api_access: true, max_keys: null, rate_limit_per_minute: 1_000_000, rate_limit_per_hour: 100_000_000 };
    await expectStatus(call('POST', '/v1/admin/plans', operatorKey, plan), 201);
    const created = await expectStatus(call('POST', '/v1/admin/accounts', operatorKey, { name: 'Outage', email: 'ops@outage.test', plan: 'unlimited' }), 201);
    accountKey = created.api_key.key;
  }, 90_000);

  afterAll(async () => {
    await service?.stop();
    const lines = service?.output.join('').split('\n') ?? [];
    const errors = lines.filter((l) => /"statusCode":500|Unhandled error|"level":60/.test(l));
    if (errors.length) console.log(`service error lines (${errors.length}):\n${errors.slice(0, 10).join('\n')}`);
    await pg?.destroy();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(['immediate', 'fast'] as const)('pg_ctl stop -m %s: 503 (never 2xx, 500 or a hang) while down, 200 again within 5 s of restart', async (mode) => {
    const cached = [accountKey, await newKey(`cached-${mode}-1`), await newKey(`cached-${mode}-2`)];
    const fresh = [await newKey(`fresh-${mode}-1`), await newKey(`fresh-${mode}-2`)]; // first used once the stop begins
    for (const key of cached) for (let i = 0; i < 2; i++) await expectStatus(call('GET', '/v1/me', key), 200);

    const seen: Seen[] = [];
    let running = true;
    let useFresh = false;
    const worker = async (w: number) => {
      for (let i = w; running; i += WORKERS) {
        const fromFresh = useFresh && i % 3 === 0;
        // /v1/me needs the database only to check the key (its answer comes from the key check).
        seen.push(await probe(fromFresh ? 'fresh' : 'cached', '/v1/me', fromFresh ? fresh[i % fresh.length] : cached[i % cached.length]));
        await sleep(10);
      }
    };
    const invalid = async () => {
      // 30 refusals a minute per IP become 429: one a second stays well below.
      for (; running; await sleep(1000)) seen.push(await probe('invalid', '/v1/me', INVALID_KEY));
    };
    const stream = Promise.all([...Array.from({ length: WORKERS }, (_, w) => worker(w)), invalid()]);

    await sleep(1000);
    const stopBegin = performance.now();
    useFresh = true;
    await pg!.stop(mode);
    const stopEnd = performance.now();
    await sleep(2500);
    const ready = await probe('health', '/health/ready', '');
    const startBegin = performance.now();
    await pg!.start();
    const accepting = performance.now();
    let recoveredAt = 0;
    while (!recoveredAt && performance.now() - accepting < RECOVERY_LIMIT_MS + 5000) {
      const res = await probe('fresh', '/v1/me', fresh[0]);
      if (res.status === 200) recoveredAt = res.doneAt;
      else await sleep(20);
    }
    await sleep(500);
    running = false; // (the recovery probe above is not in `seen`)
    await stream;

    const phase = (s: Seen) =>
      s.sentAt < stopBegin ? 'before' : s.sentAt < stopEnd ? 'stopping' : s.doneAt <= startBegin ? 'down' : recoveredAt && s.sentAt >= recoveredAt ? 'after' : 'restarting';
    const counts: Record<string, Record<string, number>> = {};
    for (const s of seen) {
      const bucket = (counts[`${phase(s)} ${s.kind}`] ??= {});
      const label = s.status ? `${s.status}${s.code ? ` ${s.code}` : ''}` : `no answer (${s.error})`;
      bucket[label] = (bucket[label] ?? 0) + 1;
    }
    const recoveryMs = recoveredAt ? recoveredAt - accepting : NaN;
    console.log(
      `pg_ctl stop -m ${mode}: stop took ${(stopEnd - stopBegin).toFixed(0)} ms, start ${(accepting - startBegin).toFixed(0)} ms; ` +
        `/v1/me answered 200 ${recoveryMs.toFixed(0)} ms after PostgreSQL accepted connections; ` +
        `/health/ready while down: ${ready.status}; slowest answer ${Math.max(...seen.map((s) => s.doneAt - s.sentAt)).toFixed(0)} ms\n` +
        Object.entries(counts).map(([k, v]) => `  ${k.padEnd(20)} ${JSON.stringify(v)}`).join('\n'),
    );

    const down = seen.filter((s) => phase(s) === 'down');
    expect(down.filter((s) => s.kind !== 'invalid').length).toBeGreaterThan(20);
    expect(down.filter((s) => s.kind === 'fresh').length).toBeGreaterThan(0);
    const wrong = down.filter((s) => (s.kind === 'invalid' ? s.status !== 401 : s.status !== 503 || s.code !== 'SERVICE_UNAVAILABLE'));
    expect(wrong.slice(0, 5)).toEqual([]);
    // At any time: no 5xx but 503, no transport error or timeout, nothing slower than the limit.
    expect(seen.filter((s) => s.status === 0 || (s.status >= 500 && s.status !== 503)).slice(0, 5)).toEqual([]);
    expect(seen.filter((s) => s.doneAt - s.sentAt > REQUEST_LIMIT_MS).length).toBe(0);
    expect(ready.status).toBe(503);
    expect(recoveryMs).toBeLessThan(RECOVERY_LIMIT_MS);
    // Recovered for good: the service was not restarted, and every key works again.
    for (const key of [...cached, ...fresh]) await expectStatus(call('GET', '/v1/me', key), 200);
    await expectStatus(call('GET', '/health/ready', ''), 200);
    expect(seen.filter((s) => phase(s) === 'after' && s.kind !== 'invalid' && s.status !== 200).slice(0, 5)).toEqual([]);
  }, 60_000);
});

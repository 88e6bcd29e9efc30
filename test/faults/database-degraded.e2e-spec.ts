import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { ServiceProcess } from '../utils/service-process';
import { OwnPostgres } from './utils/own-postgres';

const KEY_SECRET = 'faults-degraded-e2e-key-secret-0123456789abcdef'; // 48 characters
const REQUEST_LIMIT_MS = 5000;
const HOG = 'latchkey-faults-hog';

type Answer = { status: number; code?: string; ms: number; error?: string };

/**
 * PostgreSQL neither down nor well: hung (SIGSTOP: connections open, nothing answers) or out of
 * connection slots (53300). Both must still give 503 SERVICE_UNAVAILABLE within 5 s: never 500,
 * never a hang, never 2xx for a key that could not be checked; and recover without a restart.
 * (Both failed at commit 7aae7c7, before the pool/query timeouts, the LISTEN heartbeat and 53300 as
 * "unavailable": the request hung for good, resp. answered 500 INTERNAL_ERROR.)
 */
describe('PostgreSQL hung or out of connection slots (e2e, a private cluster)', () => {
  let pg: OwnPostgres | undefined;
  let service: ServiceProcess | undefined;
  let dataDir: string | undefined;
  let operatorKey = '';
  const hogs: Client[] = [];

  const call = async (method: string, path: string, key?: string, body?: object): Promise<Answer & { body: any }> => {
    const t0 = performance.now();
    try {
      const res = await fetch(`${service!.url}${path}`, {
        method,
        headers: { ...(key && { 'X-API-Key': key }), ...(body && { 'Content-Type': 'application/json' }) },
        body: body && JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_LIMIT_MS + 1000),
      });
      const json = (await res.json()) as { code?: string };
      return { status: res.status, code: json.code, ms: performance.now() - t0, body: json };
    } catch (err) {
      return { status: 0, error: (err as Error).message, ms: performance.now() - t0, body: null };
    }
  };
  const newKeys = async (n: number) => {
    const keys: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await call('POST', '/v1/api-keys', operatorKey, { name: `never-used-${i}` });
      if (res.status !== 201) throw new Error(`key creation: ${res.status} ${JSON.stringify(res.body)}`);
      keys.push(res.body.data.key);
    }
    return keys;
  };
  /** Polls GET /v1/me with `key` until 200; ms it took (fails after 5 s). */
  const recovery = async (key: string, what: string) => {
    const t0 = performance.now();
    while ((await call('GET', '/v1/me', key)).status !== 200) {
      if (performance.now() - t0 > 5000) throw new Error(`no 200 within 5 s after ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    console.log(`GET /v1/me answered 200 ${(performance.now() - t0).toFixed(0)} ms after ${what}`);
  };
  const show = (answers: Answer[]) => {
    const counts: Record<string, number> = {};
    for (const a of answers) {
      const label = a.status ? `${a.status} ${a.code ?? ''}`.trim() : `no answer (${a.error})`;
      counts[label] = (counts[label] ?? 0) + 1;
    }
    return `${JSON.stringify(counts)}, slowest ${Math.max(...answers.map((a) => a.ms)).toFixed(0)} ms`;
  };

  beforeAll(async () => {
    pg = await OwnPostgres.create();
    dataDir = mkdtempSync(join(tmpdir(), 'latchkey-faults-bugs-'));
    service = await ServiceProcess.start({ DATABASE_URL: pg.url, DATA_DIR: dataDir, KEY_SECRET, LOG_LEVEL: 'warn', NODE_ENV: 'test', REDIS_URL: undefined });
    await service.ready();
    operatorKey = readFileSync(join(dataDir, 'operator.key'), 'utf8').trim();
  }, 90_000);

  afterAll(async () => {
    await Promise.all(hogs.map((h) => h.end().catch(() => undefined)));
    await service?.stop();
    await pg?.destroy();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('hung (SIGSTOP): 503 within 5 s for a lookup, a query and, once the hang is noticed, a cached key; 200 after SIGCONT', async () => {
    const [fresh] = await newKeys(1);
    expect((await call('GET', '/v1/me', operatorKey)).status).toBe(200); // cached
    await pg!.freeze();
    try {
      const [me, list, ready] = await Promise.all([call('GET', '/v1/me', fresh), call('GET', '/v1/api-keys', operatorKey), call('GET', '/health/ready')]);
      const cached = await call('GET', '/v1/me', operatorKey); // a few seconds into the hang
      console.log(
        `PostgreSQL hung: GET /v1/me never-used key ${show([me])}; GET /v1/api-keys ${show([list])}; /health/ready ${show([ready])}; ` +
          `then GET /v1/me cached key ${show([cached])}`,
      );
      expect(ready.status).toBe(503);
      for (const answer of [me, list, cached]) expect(answer).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
      for (const answer of [me, list, ready]) expect(answer.ms).toBeLessThan(REQUEST_LIMIT_MS);
    } finally {
      await pg!.thaw();
    }
    await recovery(fresh, 'SIGCONT');
  }, 30_000);

  it('out of connection slots (53300 "too many clients"): 503, not 500; 200 once slots are free', async () => {
    const keys = await newKeys(8);
    // Every slot held here: drop the service's connections and take their slots, until none of its own is left.
    const hog = async () => {
      const client = new Client({ connectionString: pg!.url, application_name: HOG });
      await client.connect();
      hogs.push(client);
      return client;
    };
    const admin = await hog();
    const theirs = `from pg_stat_activity where backend_type = 'client backend' and application_name <> '${HOG}'`;
    let left = -1;
    for (let round = 0; round < 10 && left !== 0; round++) {
      await admin.query(`select pg_terminate_backend(pid) ${theirs}`);
      while (await hog().then(() => true, (err: { code?: string }) => (err.code === '53300' ? false : Promise.reject(err))));
      left = (await admin.query<{ n: number }>(`select count(*)::int as n ${theirs}`)).rows[0].n;
    }
    expect(left).toBe(0); // the service holds no connection and can open none
    try {
      const answers = await Promise.all(keys.map((key) => call('GET', '/v1/me', key)));
      const [cached, ready] = await Promise.all([call('GET', '/v1/me', operatorKey), call('GET', '/health/ready')]);
      const logged = service!.output.join('').split('\n').find((l) => /(Dependency unavailable|Unhandled error).*too many clients/.test(l));
      console.log(
        `${hogs.length} connections held, ${left} left to the service; GET /v1/me with ${keys.length} never-used keys: ${show(answers)}; with a used key: ${show([cached])}; ` +
          `/health/ready ${show([ready])}\nservice log: ${logged?.slice(0, 600)}`,
      );
      answers.push(cached);
      for (const answer of answers) expect(answer).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    } finally {
      await Promise.all(hogs.splice(0).map((h) => h.end().catch(() => undefined)));
    }
    await recovery(keys[0], 'the slots were freed');
  }, 30_000);
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceProcess } from './utils/service-process';
import { createTestDatabase, type TestDatabase } from './utils/test-database';
import { Receiver, eventually } from './webhooks-support';

const KEY_SECRET = 'webhooks-instances-e2e-key-secret-0123456789abc'; // 48 characters

/**
 * The built service as separate processes on one PostgreSQL: a committed event survives `kill -9`
 * and a clean stop, and two instances deliver each event once. Production schedule and lease.
 */
const suite = process.env.DATABASE_URL ? describe : describe.skip;
suite(
  process.env.DATABASE_URL
    ? 'webhooks across crashes, restarts and instances (e2e, spawned services)'
    : 'webhooks across instances (skipped: needs DATABASE_URL; the embedded database serves one process)',
  () => {
    let db: TestDatabase;
    let receiver: Receiver;
    const dirs: string[] = [];
    const services: ServiceProcess[] = [];
    let operatorKey = '';

    const start = async (): Promise<ServiceProcess> => {
      const dir = dirs[0] && !operatorKey ? dirs[0] : mkdtempSync(join(tmpdir(), 'latchkey-webhooks-proc-'));
      dirs.push(dir);
      const service = await ServiceProcess.start({
        DATABASE_URL: db.url, DATA_DIR: dir, KEY_SECRET, LOG_LEVEL: 'warn', NODE_ENV: 'test', REDIS_URL: undefined,
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      });
      services.push(service);
      await service.ready();
      if (!operatorKey) operatorKey = readFileSync(join(dir, 'operator.key'), 'utf8').trim();
      return service;
    };
    const call = async (service: ServiceProcess, method: string, path: string, key: string, body?: object) => {
      const res = await fetch(`${service.url}${path}`, {
        method,
        headers: { 'X-API-Key': key, ...(body && { 'Content-Type': 'application/json' }) },
        body: body && JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      const json = (await res.json()) as { data?: any };
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json.data;
    };
    const setUp = async (service: ServiceProcess, name: string) => {
      const created = await call(service, 'POST', '/v1/admin/accounts', operatorKey, { name, email: `${name}@proc.test`, plan: 'enterprise' });
      const key = created.api_key.key as string;
      const endpoint = await call(service, 'POST', '/v1/webhook-endpoints', key, { url: receiver.url });
      return { key, endpoint };
    };

    beforeAll(async () => {
      db = await createTestDatabase();
      receiver = await Receiver.start();
    });

    afterAll(async () => {
      for (const s of services) await s.stop('SIGKILL');
      await receiver?.close();
      await db?.drop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    afterEach(async () => {
      for (const s of services) await s.stop('SIGKILL');
    });

    beforeEach(() => {
      receiver.receipts.length = 0;
      receiver.answer = (_r, _n, res) => res.writeHead(200).end();
    });

    it('delivers a committed event after kill -9 of the instance that was sending it', async () => {
      const a = await start();
      const { key, endpoint } = await setUp(a, 'crash');
      receiver.answer = (_r, n, res) => res.writeHead(n === 1 ? 503 : 200).end();
      const created = await call(a, 'POST', '/v1/api-keys', key, { name: 'before the crash' });
      const [first] = await receiver.waitFor(1);
      // The failed attempt is on record (a retry in 5 s) when the instance dies.
      await eventually(async () => (await call(a, 'GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries`, key))[0]?.status === 'failed');
      expect(await a.stop('SIGKILL')).toBeNull();
      const b = await start();
      // The retry is due 5 s (±20 %) after the failed attempt: the restarted instance makes it.
      const [, second] = await receiver.waitFor(2, 20_000);
      expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
      expect(JSON.parse(second.body).data.object.id).toBe(created.id);
      await b.stop();
    });

    it('hands back an attempt cut short by a clean stop, and the next instance sends it at once', async () => {
      const a = await start();
      const { key } = await setUp(a, 'stop');
      let hold: (() => void) | undefined;
      receiver.answer = (_r, n, res) => (n === 1 ? (hold = () => res.destroy()) : res.writeHead(200).end());
      await call(a, 'POST', '/v1/api-keys', key, { name: 'in flight' });
      const [first] = await receiver.waitFor(1);
      await a.stop('SIGTERM');
      hold?.();
      const b = await start();
      const restartedAt = Date.now();
      const [, second] = await receiver.waitFor(2, 10_000);
      expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
      // Not the 5 s retry and not the 60 s lease: the stopped instance released it.
      expect(second.at - restartedAt).toBeLessThan(3_000);
      await b.stop();
    });

    it('two instances deliver each event once', async () => {
      const [a, b] = [await start(), await start()];
      const { key } = await setUp(a, 'pair');
      const made: string[] = [];
      for (let batch = 0; batch < 5; batch++) {
        await Promise.all(
          Array.from({ length: 8 }, async (_, i) => {
            const created = await call(i % 2 ? a : b, 'POST', '/v1/api-keys', key, { name: `pair ${batch}.${i}` });
            made.push(created.id);
          }),
        );
      }
      await receiver.waitFor(40, 20_000);
      // Give a duplicate, if any, the time to arrive.
      await new Promise((r) => setTimeout(r, 2_000));
      const ids = receiver.receipts.map((r) => r.headers['webhook-id']);
      expect(new Set(ids).size).toBe(40);
      expect(ids).toHaveLength(40);
      expect(receiver.events().map((e) => e.data.object.id).sort()).toEqual(made.sort());
      const events = (await call(b, 'GET', '/v1/events?limit=100', key)).map((e: { id: string }) => e.id);
      for (const id of ids) expect(events).toContain(id);
      await a.stop();
      await b.stop();
    });

    it('retries an attempt whose instance died mid-request once its lease runs out', async () => {
      const a = await start();
      const { key } = await setUp(a, 'lease');
      receiver.answer = (_r, n, res) => (n === 1 ? undefined : res.writeHead(200).end());
      await call(a, 'POST', '/v1/api-keys', key, { name: 'lost in flight' });
      const [first] = await receiver.waitFor(1);
      expect(await a.stop('SIGKILL')).toBeNull();
      const b = await start();
      const [, second] = await receiver.waitFor(2, 90_000);
      expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
      // The 60 s lease, not sooner: a live instance's attempt is never taken from it.
      expect(second.at - first.at).toBeGreaterThanOrEqual(55_000);
      await b.stop();
    }, 150_000);
  },
);

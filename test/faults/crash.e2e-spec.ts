import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { ServiceProcess } from '../utils/service-process';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';

const KEY_SECRET = 'faults-crash-e2e-key-secret-0123456789abcdefghij'; // 48 characters
const KEYS = 4; // renamed in turn, so some requests wait on another's row lock
const WORKERS = 8;
const KILL_AFTER_OK = 80; // 2xx answers before the SIGKILL

type Rename = { n: number; keyId: string; name: string; requestId: string; status?: number; error?: string };
type Event = { request_id: string; target_id: string; seq: string; after: string | null };

/**
 * A stream of renames, the service killed with SIGKILL mid-stream: what the database holds must be
 * what was acknowledged, and every committed change must have its audit event (same transaction).
 */
const suite = process.env.DATABASE_URL ? describe : describe.skip;
suite(
  process.env.DATABASE_URL
    ? 'kill -9 during a stream of key changes (e2e, machine PostgreSQL)'
    : 'kill -9 during key changes (skipped: needs DATABASE_URL; the embedded database is inside the killed process)',
  () => {
    let db: TestDatabase | undefined;
    const dirs: string[] = [];
    const services: ServiceProcess[] = [];
    let accountKey = '';

    const start = async (): Promise<ServiceProcess> => {
      const dir = mkdtempSync(join(tmpdir(), 'latchkey-faults-crash-'));
      dirs.push(dir);
      const service = await ServiceProcess.start({ DATABASE_URL: db!.url, DATA_DIR: dir, KEY_SECRET, LOG_LEVEL: 'warn', NODE_ENV: 'test', REDIS_URL: undefined });
      services.push(service);
      await service.ready();
      return service;
    };
    const call = async (service: ServiceProcess, method: string, path: string, key: string, body?: object, headers: Record<string, string> = {}) => {
      const res = await fetch(`${service.url}${path}`, {
        method,
        headers: { 'X-API-Key': key, ...(body && { 'Content-Type': 'application/json' }), ...headers },
        body: body && JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      return { status: res.status, body: (await res.json()) as { code?: string; data?: any } };
    };
    const expectData = async (pending: ReturnType<typeof call>, status: number) => {
      const res = await pending;
      if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body.data;
    };

    beforeAll(async () => {
      db = await createTestDatabase();
    });

    afterAll(async () => {
      await Promise.all(services.map((s) => s.stop('SIGKILL')));
      await db?.drop();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    it('keeps every acknowledged rename with its audit event, never a change without its event; the chain verifies after restart', async () => {
      const a = await start();
      const operatorKey = readFileSync(join(dirs[0], 'operator.key'), 'utf8').trim();
      const plan = { slug: 'unlimited', name: 'Unlimited', api_access: true, max_keys: null, rate_limit_per_minute: 1_000_000, rate_limit_per_hour: 100_000_000 };
      await expectData(call(a, 'POST', '/v1/admin/plans', operatorKey, plan), 201);
      const created = await expectData(call(a, 'POST', '/v1/admin/accounts', operatorKey, { name: 'Crash', email: 'ops@crash.test', plan: 'unlimited' }), 201);
      accountKey = created.api_key.key;
      const keyIds: string[] = [];
      for (let k = 0; k < KEYS; k++) keyIds.push((await expectData(call(a, 'POST', '/v1/api-keys', accountKey, { name: `original-${k}` }), 201)).id);

      const run = randomBytes(4).toString('hex');
      const renames: Rename[] = [];
      let ok = 0;
      const worker = async () => {
        for (;;) {
          const n = renames.length;
          const r: Rename = { n, keyId: keyIds[n % KEYS], name: `rename-${run}-${n}`, requestId: `crash-${run}-${n}` };
          renames.push(r);
          try {
            r.status = (await call(a, 'PATCH', `/v1/api-keys/${r.keyId}`, accountKey, { name: r.name }, { 'X-Request-Id': r.requestId })).status;
          } catch (err) {
            r.error = String((err as Error).cause ?? (err as Error).message);
            return; // the service is gone: stop this worker
          }
          // A random few ms later, so the kill lands anywhere in a request's life (also between COMMIT and the answer).
          if (r.status >= 200 && r.status < 300 && ++ok === KILL_AFTER_OK) setTimeout(() => a.child.kill('SIGKILL'), Math.random() * 20);
        }
      };
      const t0 = performance.now();
      await Promise.all(Array.from({ length: WORKERS }, worker));
      const streamMs = performance.now() - t0;
      expect(await a.exitCode()).toBeNull(); // killed by a signal, not exited
      expect(a.child.signalCode).toBe('SIGKILL');

      const client = new Client({ connectionString: db!.url });
      await client.connect();
      let events: Event[];
      let names: Map<string, string>;
      try {
        ({ rows: events } = await client.query<Event>(
          `select request_id, target_id, seq::text, changes->'name'->>'after' as after from audit_events
           where action = 'api_key.updated' and request_id like $1 order by audit_events.seq`,
          [`crash-${run}-%`],
        ));
        const { rows } = await client.query<{ id: string; name: string }>('select id, name from api_keys where id = any($1)', [keyIds]);
        names = new Map(rows.map((row) => [row.id, row.name]));
      } finally {
        await client.end();
      }

      const byRequest = new Map(events.map((e) => [e.request_id, e]));
      const acknowledged = renames.filter((r) => r.status !== undefined && r.status >= 200 && r.status < 300);
      const refused = renames.filter((r) => r.status !== undefined && (r.status < 200 || r.status >= 300));
      const unanswered = renames.filter((r) => r.status === undefined);
      const unansweredCommitted = unanswered.filter((r) => byRequest.has(r.requestId));
      console.log(
        `${renames.length} renames sent by ${WORKERS} workers over ${KEYS} keys in ${streamMs.toFixed(0)} ms; SIGKILL after ${KILL_AFTER_OK} acknowledged: ` +
          `${acknowledged.length} 2xx, ${refused.length} other answers (${[...new Set(refused.map((r) => r.status))].join(', ') || 'none'}), ` +
          `${unanswered.length} without an answer (${unansweredCommitted.length} of them committed with their event, ` +
          `${unanswered.length - unansweredCommitted.length} neither); errors seen: ${[...new Set(unanswered.map((r) => r.error))].join(' | ')}`,
      );

      expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER_OK);
      expect(unanswered.length).toBeGreaterThan(0);
      // Every acknowledged rename has exactly its event: right key, right name, its request id.
      const missing = acknowledged.filter((r) => byRequest.get(r.requestId)?.target_id !== r.keyId || byRequest.get(r.requestId)?.after !== r.name);
      expect(missing.map((r) => r.requestId)).toEqual([]);
      expect(events.length).toBe(byRequest.size); // one event per request id, never two
      // A refused request changed nothing; every event belongs to a request of this stream.
      expect(refused.filter((r) => byRequest.has(r.requestId)).map((r) => r.requestId)).toEqual([]);
      const sent = new Map(renames.map((r) => [r.requestId, r]));
      expect(events.filter((e) => sent.get(e.request_id)?.keyId !== e.target_id || sent.get(e.request_id)?.name !== e.after)).toEqual([]);
      // Each key row shows the rename of its newest event (so an acknowledged rename or a later one),
      // or its original name when no rename committed: a change without its event would show here.
      for (const [k, keyId] of keyIds.entries()) {
        const newest = events.filter((e) => e.target_id === keyId).at(-1);
        expect([keyId, names.get(keyId)]).toEqual([keyId, newest?.after ?? `original-${k}`]);
        for (const r of acknowledged.filter((x) => x.keyId === keyId)) {
          expect(BigInt(byRequest.get(r.requestId)!.seq)).toBeLessThanOrEqual(BigInt(newest!.seq));
        }
      }

      // A new instance on the same database: the account's audit chain is intact.
      const b = await start();
      const verified = await expectData(call(b, 'GET', '/v1/audit-events/verify', accountKey), 200);
      console.log(`after restart: GET /v1/audit-events/verify -> ${JSON.stringify(verified)}`);
      expect(verified).toMatchObject({ ok: true, first_broken_event_id: null });
      expect(verified.checked).toBeGreaterThanOrEqual(events.length);
      for (const [k, keyId] of keyIds.entries()) {
        expect((await expectData(call(b, 'GET', `/v1/api-keys/${keyId}`, accountKey), 200)).name).toBe(names.get(keyId) ?? `original-${k}`);
      }
    }, 90_000);
  },
);

import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { freePort, ServiceProcess, stopInstances } from './utils/service-process';
import { createTestDatabase, type TestDatabase } from './utils/test-database';

const TRIALS = 20;
const LIMIT_MS = 100;
const GIVE_UP_MS = 2000;
const KEY_SECRET = 'portal-instances-e2e-shared-key-secret-0123456789'; // 49 characters
const CLI = join(__dirname, '..', 'dist', 'src', 'portal', 'console-link.cli.js');
const run = promisify(execFile);

/**
 * Two service processes on one PostgreSQL database: a session ended through A (logout, the
 * operator, a suspension) is refused by B within the key-revocation bound. And `npm run console`
 * against a running service. Needs a real server and the built service (`npm run build`).
 */
const suite = process.env.DATABASE_URL ? describe : describe.skip;
suite('portal sessions on two instances, and npm run console (e2e, spawned services)', () => {
  let db: TestDatabase;
  const dirs: string[] = [];
  let a: ServiceProcess | undefined;
  let b: ServiceProcess | undefined;
  let operatorKey: string;
  let publicUrl: string;

  const start = async (port: number): Promise<ServiceProcess> => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-portal-'));
    dirs.push(dir);
    const service = await ServiceProcess.start({
      DATABASE_URL: db.url, REDIS_URL: 'redis://127.0.0.1:6379', DATA_DIR: dir, KEY_SECRET, LOG_LEVEL: 'warn', NODE_ENV: 'test', PORT: String(port), PUBLIC_URL: publicUrl,
      // Each poll comes from an address of its own: the refusals it waits for count against the IP, in Redis shared by every run.
      TRUST_PROXY: '127.0.0.1',
    });
    await service.ready();
    return service;
  };
  const call = async (service: ServiceProcess, method: string, path: string, auth: { key?: string; cookie?: string }, body?: object) => {
    const res = await fetch(`${service.url}${path}`, {
      method,
      headers: {
        ...(auth.key ? { 'X-API-Key': auth.key } : {}),
        ...(auth.cookie ? { Cookie: auth.cookie, Origin: publicUrl } : {}),
        ...(body ? { 'Content-Type': 'application/json' } : {}),
        'X-Forwarded-For': `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`,
      },
      body: body && JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { code?: string; error?: string; data?: any }, headers: res.headers };
  };
  const signIn = async (accountId: string, on: ServiceProcess) => {
    const created = await call(a!, 'POST', `/v1/admin/accounts/${accountId}/portal-sessions`, { key: operatorKey }, { user: { id: 'user_7' } });
    expect(created.status).toBe(201);
    const res = await fetch(`${on.url}/v1/portal/redeem`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: publicUrl },
      body: JSON.stringify({ code: created.body.data.url.split('#code=')[1] }),
    });
    expect(res.status).toBe(200);
    return { id: created.body.data.id as string, cookie: res.headers.getSetCookie()[0].split(';')[0] };
  };
  /** Polls B with the cookie (sequentially, no sleep) until it refuses; ms since `since`. */
  const refusedByB = async (cookie: string, since: number): Promise<number> => {
    for (;;) {
      const seen = await call(b!, 'GET', '/v1/me', { cookie });
      const delay = performance.now() - since;
      if (seen.status === 401) {
        expect(seen.body).toMatchObject({ code: 'UNAUTHORIZED', error: 'Your session has ended. Sign in again.' });
        return delay;
      }
      if (seen.status !== 200) throw new Error(`B answered ${seen.status} ${JSON.stringify(seen.body)}`);
      if (delay > GIVE_UP_MS) throw new Error(`B still accepts the session ${delay.toFixed(1)} ms after A ended it`);
    }
  };
  const measure = async (session: { cookie: string }, end: () => Promise<{ status: number }>): Promise<number> => {
    for (let i = 0; i < 2; i++) expect((await call(b!, 'GET', '/v1/me', { cookie: session.cookie })).status).toBe(200);
    const res = await end();
    const since = performance.now();
    expect(res.status).toBe(200);
    return refusedByB(session.cookie, since);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    const portA = await freePort();
    publicUrl = `http://127.0.0.1:${portA}`;
    a = await start(portA);
    operatorKey = readFileSync(join(dirs[0], 'operator.key'), 'utf8').trim();
    b = await start(await freePort());
  }, 120_000);

  afterAll(() => stopInstances({ A: a, B: b }, db, dirs));

  it(`B refuses a session ended through A (logout, the operator, a suspension) within ${LIMIT_MS} ms`, async () => {
    const created = await call(a!, 'POST', '/v1/admin/accounts', { key: operatorKey }, { name: 'Acme', email: 'ops@acme.test', plan: 'pro' });
    const accountId = created.body.data.account.id as string;
    const delays: Record<string, number[]> = { logout: [], operator: [] };
    for (let trial = 0; trial < TRIALS; trial++) {
      const s1 = await signIn(accountId, b!);
      delays.logout.push(await measure(s1, () => call(a!, 'POST', '/v1/portal/logout', { cookie: s1.cookie })));
      const s2 = await signIn(accountId, a!);
      delays.operator.push(await measure(s2, () => call(a!, 'DELETE', `/v1/admin/portal-sessions/${s2.id}`, { key: operatorKey })));
    }
    const s3 = await signIn(accountId, b!);
    const suspended = await measure(s3, () => call(a!, 'PATCH', `/v1/admin/accounts/${accountId}`, { key: operatorKey }, { status: 'suspended' }));
    const worst = (xs: number[]) => Math.max(...xs);
    console.log(
      `cross-instance session end over ${TRIALS} trials: logout worst ${worst(delays.logout).toFixed(1)} ms, ` +
        `operator end worst ${worst(delays.operator).toFixed(1)} ms; suspension ${suspended.toFixed(1)} ms`,
    );
    expect(worst(delays.logout)).toBeLessThan(LIMIT_MS);
    expect(worst(delays.operator)).toBeLessThan(LIMIT_MS);
    expect(suspended).toBeLessThan(LIMIT_MS);
  });

  it('npm run console prints a sign-in link to the operator console, made through the API', async () => {
    const env = { ...process.env, DATA_DIR: dirs[0], PORT: a!.url.split(':').pop()!, PUBLIC_URL: publicUrl, DATABASE_URL: db.url };
    const { stdout, stderr } = await run(process.execPath, [CLI], { env });
    expect(stderr).toContain('It works once, within 10 minutes');
    const url = stdout.trim();
    expect(url).toMatch(new RegExp(`^${publicUrl}/console/#code=pst_[0-9A-Za-z]{43}$`));
    const res = await fetch(`${b!.url}/v1/portal/redeem`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: publicUrl },
      body: JSON.stringify({ code: url.split('#code=')[1] }),
    });
    expect(res.status).toBe(200);
    const signedIn = (await res.json()) as { data: { session: { scopes: string[]; user: { id: string } }; account: { id: string } } };
    expect(signedIn.data.session).toMatchObject({ scopes: ['*', 'admin'], user: { id: 'operator' } });
    const cookie = res.headers.getSetCookie()[0].split(';')[0];
    expect((await call(a!, 'GET', '/v1/admin/accounts', { cookie })).status).toBe(200);
    const events = await call(a!, 'GET', `/v1/audit-events?action=portal_session.created`, { key: operatorKey });
    expect(events.body.data[0]).toMatchObject({ actor: { type: 'operator' }, target: { type: 'portal_session' } });
  });

  it('npm run console says what to do when the key file is missing or the service is not running', async () => {
    const missing = await run(process.execPath, [CLI], { env: { ...process.env, DATA_DIR: join(dirs[0], 'nowhere'), PORT: a!.url.split(':').pop()! } }).catch((e) => e);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`No operator key at ${join(dirs[0], 'nowhere', 'operator.key')}. Start the service once with \`npm start\``);
    const port = String(await freePort());
    const down = await run(process.execPath, [CLI], { env: { ...process.env, DATA_DIR: dirs[0], PORT: port, PUBLIC_URL: '' } }).catch((e) => e);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`Latchkey is not running at http://127.0.0.1:${port}. Start it with \`npm start\``);
  });
});

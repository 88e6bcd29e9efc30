import { randomInt } from 'node:crypto';
import { FINISHED_SESSIONS, PortalSessionCleanupJob } from '../src/portal/portal-session-cleanup.job';
import { createAccount } from './utils/api';
import { createTestApp, type TestApp } from './utils/test-app';

const PUBLIC_URL = 'http://console.latchkey.test:8080';
const ORIGIN = PUBLIC_URL;
const DAY = 86_400_000;

describe('portal sessions: audit IPs, user text, lifetimes, cleanup, CSV, Free plan (e2e)', () => {
  let t: TestApp;
  let ip = '10.255.255.1';
  beforeEach(() => {
    ip = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
  });
  let acme: { accountId: string; key: string; keyId: string };
  let operatorAccountId: string;

  beforeAll(async () => {
    t = await createTestApp({ PUBLIC_URL, TRUST_PROXY: '127.0.0.1' });
    acme = await createAccount(t.http, t.operatorKey, { plan: 'pro', name: 'Acme' });
    operatorAccountId = (await t.http.get('/v1/me').set('X-API-Key', t.operatorKey).expect(200)).body.data.account.id;
    // The cleanup's run shortly after boot must not race the test that runs it by hand.
    t.app.get(PortalSessionCleanupJob).onApplicationShutdown();
  });
  afterAll(() => t.close());

  const sql = <T = Record<string, unknown>>(query: string, params: unknown[] = []) => t.orm.em.getConnection().execute<T[]>(query, params);
  const createSession = (accountId: string, body: object, key = t.operatorKey) =>
    t.http.post(`/v1/admin/accounts/${accountId}/portal-sessions`).set('X-API-Key', key).set('X-Forwarded-For', ip).send(body);
  const link = async (accountId: string, body: object = {}, key = t.operatorKey) => {
    const res = await createSession(accountId, { user: { id: 'user_42', name: 'Jane' }, ...body }, key).expect(201);
    return { id: res.body.data.id as string, code: /#code=(pst_[0-9A-Za-z]+)$/.exec(res.body.data.url)![1], body: res.body.data };
  };
  const redeem = (code: string, from = ip) => t.http.post('/v1/portal/redeem').set('X-Forwarded-For', from).set('Origin', ORIGIN).send({ code });
  const signIn = async (accountId: string, body: object = {}) => {
    const { id, code } = await link(accountId, body);
    const res = await redeem(code).expect(200);
    const line = [res.headers['set-cookie'] ?? []].flat().find((c: string) => c.startsWith('lk_session='))!;
    return { id, cookie: line.split(';')[0], redeemed: res.body.data };
  };
  const as = (cookie: string) => ({
    get: (path: string) => t.http.get(path).set('X-Forwarded-For', ip).set('Cookie', cookie),
    post: (path: string, body?: object) => t.http.post(path).set('X-Forwarded-For', ip).set('Cookie', cookie).set('Origin', ORIGIN).send(body),
  });
  const newOperatorKey = async (body: object) => {
    const res = await t.http.post('/v1/api-keys').set('X-API-Key', t.operatorKey).send({ name: 'Backend', scopes: ['*', 'admin'], ...body }).expect(201);
    return { id: res.body.data.id as string, key: res.body.data.key as string };
  };

  describe('the sign-in IP in the audit log', () => {
    it.each([
      ['::ffff:10.9.8.7', '10.9.8.7'],
      ['2001:DB8:0:0::1', '2001:db8::1'],
    ])('stores the redeem from %s as %s, as every other audit event does', async (sent, canonical) => {
      const { id, code } = await link(acme.accountId);
      await redeem(code, sent).expect(200);
      const [redeemed] = await sql<{ ip: string }>("select ip from audit_events where action = 'portal_session.redeemed' and target_id = ?", [id]);
      expect(redeemed.ip).toBe(canonical);
      const listed = await t.http.get(`/v1/audit-events?action=portal_session.redeemed`).set('X-API-Key', acme.key).expect(200);
      expect(listed.body.data.find((e: { target: { id: string } }) => e.target.id === id).ip).toBe(canonical);
    });
  });

  describe('the person named in the session', () => {
    it.each([
      [{ id: '   ' }, 'user.id'],
      [{ id: '\u3164\u3164' }, 'user.id'],
      [{ id: '\u200b' }, 'user.id'],
      [{ id: 'user\u0085x' }, 'user.id'],
      [{ id: 'user\u202ex' }, 'user.id'],
      [{ id: 'u', name: '   ' }, 'user.name'],
      [{ id: 'u', name: '\u3000\u00a0' }, 'user.name'],
      [{ id: 'u', name: '' }, 'user.name'],
      [{ id: 'u', name: '\u2800\u00a0' }, 'user.name'],
      [{ id: 'u', name: 'Jane\u009bDoe' }, 'user.name'],
      [{ id: 'u', name: 'Jane\u2028Doe' }, 'user.name'],
      [{ id: 'u', name: 'evil\u202etxt.exe' }, 'user.name'],
      [{ id: 'u', name: 'J'.repeat(101) }, 'user.name'],
      [{ id: 'u', email: '   ' }, 'user.email'],
      [{ id: 'u', email: 'ja\u202ene@acme.test' }, 'user.email'],
      [{ id: 'u', email: `${'j'.repeat(64)}@${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.test` }, 'user.email'],
    ])('refuses user %j with 400 on %s', async (user, field) => {
      const res = await createSession(acme.accountId, { user }).expect(400);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED' });
      expect([...new Set(res.body.details.map((d: { field: string }) => d.field))]).toEqual([field]);
    });

    it('keeps names in any script, with spaces and marks inside', async () => {
      for (const user of [{ id: 'user 42', name: 'Zoë Ünal-Øster' }, { id: 'محمد', name: 'محمد علي' }, { id: '山田', name: '山田 太郎', email: 'taro@acme.test' }]) {
        const { body } = await link(acme.accountId, { user });
        expect(body.user).toEqual({ email: null, ...user });
      }
    });
  });

  describe('a session never outlives the credential that made it', () => {
    it('refuses a ttl_seconds reaching past the calling key\'s expiry, and cuts the default hour to it', async () => {
      const expiresAt = new Date(Date.now() + 30 * 60_000);
      const backend = await newOperatorKey({ expires_at: expiresAt.toISOString() });
      for (const ttl_seconds of [3600, 1801]) {
        const res = await createSession(acme.accountId, { user: { id: 'u' }, ttl_seconds }, backend.key).expect(400);
        expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED' });
        expect(res.body.details).toEqual([{ field: 'ttl_seconds', message: expect.stringMatching(new RegExp(`${expiresAt.toISOString()}.*at most 17\\d\\d$`)) }]);
      }
      const asked = await link(acme.accountId, { ttl_seconds: 1200 }, backend.key);
      expect(Date.parse(asked.body.expires_at) - Date.parse(asked.body.created_at)).toBe(1_200_000);
      const byDefault = await link(acme.accountId, {}, backend.key);
      expect(byDefault.body.expires_at).toBe(expiresAt.toISOString());
      const session = await redeem(byDefault.code).expect(200);
      expect(session.body.data.session.expires_at).toBe(expiresAt.toISOString());
      // A key without an expiry is bounded only by the 86400 maximum.
      await link(acme.accountId, { ttl_seconds: 86_400 });
    });

    it('refuses a key expiring in under 5 minutes whatever it asks, and an old secret in its grace period outright', async () => {
      const soon = await newOperatorKey({ expires_at: new Date(Date.now() + 120_000).toISOString() });
      for (const body of [{ ttl_seconds: 300 }, {}]) {
        const res = await createSession(acme.accountId, { user: { id: 'u' }, ...body }, soon.key).expect(400);
        expect(res.body.details).toEqual([{ field: 'ttl_seconds', message: expect.stringContaining('less than the 300 minimum is left') }]);
      }

      const rotated = await newOperatorKey({});
      const fresh = await t.http.post(`/v1/api-keys/${rotated.id}/regenerate`).set('X-API-Key', t.operatorKey).send({ grace_period_seconds: 3600 }).expect(200);
      const old = await createSession(acme.accountId, { user: { id: 'u' } }, rotated.key).expect(403);
      expect(old.body).toMatchObject({ success: false, code: 'INSUFFICIENT_SCOPE', error: expect.stringContaining('grace period') });
      await link(acme.accountId, {}, fresh.body.data.key);
    });

    it('bounds a session made through an operator session by that session\'s own end', async () => {
      const operator = await signIn(operatorAccountId, { user: { id: 'operator' }, scopes: ['*', 'admin'], ttl_seconds: 900 });
      const ends = Date.parse(operator.redeemed.session.expires_at);
      const long = await as(operator.cookie).post(`/v1/admin/accounts/${acme.accountId}/portal-sessions`, { user: { id: 'u' }, ttl_seconds: 3600 }).expect(400);
      expect(long.body.details).toEqual([{ field: 'ttl_seconds', message: expect.stringContaining(new Date(ends).toISOString()) }]);
      // Nor can it renew itself: a new operator session ends when this one does.
      const again = await as(operator.cookie).post(`/v1/admin/accounts/${operatorAccountId}/portal-sessions`, { user: { id: 'operator' }, scopes: ['*', 'admin'] }).expect(201);
      expect(again.body.data.expires_at).toBe(new Date(ends).toISOString());
      const short = await as(operator.cookie).post(`/v1/admin/accounts/${acme.accountId}/portal-sessions`, { user: { id: 'u' }, ttl_seconds: 600 }).expect(201);
      expect(Date.parse(short.body.data.expires_at)).toBeLessThanOrEqual(ends);
    });
  });

  describe('cleanup of finished sessions', () => {
    it('deletes rows ended or expired more than 7 days ago, keeps the rest and the audit events', async () => {
      const other = await createAccount(t.http, t.operatorKey, { plan: 'pro', name: 'Cleanup' });
      const live = await signIn(other.accountId);
      const [endedOld, expiredOld, endedRecent, expiredRecent, unredeemed] = await Promise.all([1, 2, 3, 4, 5].map(() => link(other.accountId)));
      const now = Date.now();
      const at = (ms: number) => new Date(now - ms);
      const set = (id: string, created: number, expires: number, ended: number | null) =>
        sql('update portal_sessions set created_at = ?, code_expires_at = ?, expires_at = ?, ended_at = ?, ended_reason = ? where id = ?', [
          at(created), at(created), at(expires), ended === null ? null : at(ended), ended === null ? null : 'logout', id,
        ]);
      await set(endedOld.id, 9 * DAY, 8 * DAY, 7 * DAY + 60_000);
      await set(expiredOld.id, 8 * DAY, 7 * DAY + 60_000, null);
      await set(endedRecent.id, 8 * DAY, -DAY, 7 * DAY - 60_000);
      await set(expiredRecent.id, 7 * DAY, 7 * DAY - 60_000, null);
      await set(unredeemed.id, 0, -3600_000, null);

      const job = t.app.get(PortalSessionCleanupJob);
      expect(await job.run(new Date(now))).toBe(2);
      const left = (await sql<{ id: string }>('select id from portal_sessions where account_id = ?', [other.accountId])).map((r: { id: string }) => r.id);
      expect(left.sort()).toEqual([live.id, endedRecent.id, expiredRecent.id, unredeemed.id].sort());
      const audited = await sql('select 1 from audit_events where target_id in (?, ?)', [endedOld.id, expiredOld.id]);
      expect(audited).toHaveLength(2);
      await as(live.cookie).get('/v1/portal/session').expect(200);
      expect(await job.run(new Date(now))).toBe(0);

      // A week after the last of them (86400 s at most) has expired, every row is gone.
      const [{ count }] = await sql<{ count: string }>('select count(*) from portal_sessions');
      expect(await job.run(new Date(now + 9 * DAY))).toBe(Number(count));
      expect(await sql('select 1 from portal_sessions')).toHaveLength(0);
    });

    it('finds them by index, without reading every session', async () => {
      const plan = await t.orm.em.fork().transactional(async (em) => {
        await em.getConnection().execute('set local enable_seqscan = off', [], 'run', em.getTransactionContext());
        return em.getConnection().execute<{ 'QUERY PLAN': string }[]>(`explain ${FINISHED_SESSIONS}`, [new Date(), new Date()], 'all', em.getTransactionContext());
      });
      const text = plan.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');
      expect(text).toContain('portal_sessions_expires_idx');
      expect(text).toContain('portal_sessions_ended_idx');
      expect(text).not.toContain('Seq Scan');
    });
  });

  describe('the audit CSV export', () => {
    // Enough for the cells before `changes`, which hold no commas here.
    const parseCsv = (text: string) => text.trim().split('\n').map((line) => line.split(','));

    it('has actor_session_id after actor_id, set for user actors only; user ids are defused; NDJSON is unchanged', async () => {
      const account = await createAccount(t.http, t.operatorKey, { plan: 'pro', name: 'Csv' });
      const session = await signIn(account.accountId, { user: { id: '=HYPERLINK("x")', name: 'Jane' } });
      const made = await as(session.cookie).post('/v1/api-keys', { name: 'Made in the console' }).expect(201);
      const byKey = await t.http.post('/v1/api-keys').set('X-API-Key', account.key).send({ name: 'Made by key' }).expect(201);

      const csv = await t.http.get('/v1/audit-events/export?format=csv&action=api_key.created').set('X-API-Key', account.key).expect(200);
      const [header, ...rows] = parseCsv(csv.text);
      expect(header).toEqual([
        'id', 'seq', 'occurred_at', 'account_id', 'actor_type', 'actor_id', 'actor_session_id', 'action', 'target_type', 'target_id',
        'ip', 'user_agent', 'request_id', 'changes', 'prev_hash', 'hash',
      ]);
      const cell = (row: string[], name: string) => row[header.indexOf(name)];
      const byTarget = (id: string) => rows.find((r) => cell(r, 'target_id') === id)!;
      const user = byTarget(made.body.data.id);
      expect([cell(user, 'actor_type'), cell(user, 'actor_session_id'), cell(user, 'action')]).toEqual(['user', session.id, 'api_key.created']);
      expect(csv.text).toContain(`"'=HYPERLINK(""x"")",${session.id},api_key.created`);
      const key = byTarget(byKey.body.data.id);
      expect([cell(key, 'actor_type'), cell(key, 'actor_id'), cell(key, 'actor_session_id')]).toEqual(['api_key', account.keyId, '']);

      const nd = await t.http.get('/v1/audit-events/export?format=ndjson&action=api_key.created').set('X-API-Key', account.key).buffer(true)
        .parse((res, cb) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c));
          res.on('end', () => cb(null, text));
        })
        .expect(200);
      const events = (nd.body as string).trim().split('\n').map((l) => JSON.parse(l));
      expect(events.find((e) => e.target.id === made.body.data.id).actor).toEqual({ type: 'user', id: '=HYPERLINK("x")', session_id: session.id });
      expect(events.find((e) => e.target.id === byKey.body.data.id).actor).toEqual({ type: 'api_key', id: account.keyId });
      expect(Object.keys(events[0])).not.toContain('actor_session_id');
    });
  });

  describe('a Free account opens its console', () => {
    it('is refused through its key but signs in, reads /v1/me, lists and creates keys through the cookie', async () => {
      const free = await createAccount(t.http, t.operatorKey, { plan: 'free', name: 'Freebie' });
      const refused = await t.http.get('/v1/me').set('X-API-Key', free.key).expect(403);
      expect(refused.body.error).toBe('API access is not available on the Free plan. Upgrade to Pro.');

      const { id, cookie, redeemed } = await signIn(free.accountId);
      expect(redeemed.account).toEqual({ id: free.accountId, name: 'Freebie', plan: 'free' });
      const me = await as(cookie).get('/v1/me').expect(200);
      expect(me.body.data).toMatchObject({ account: { id: free.accountId }, session: { id, user: { id: 'user_42' } } });
      const account = await as(cookie).get('/v1/account').expect(200);
      expect(account.body.data.plan).toMatchObject({ slug: 'free', api_access: false });
      const keys = await as(cookie).get('/v1/api-keys').expect(200);
      expect(keys.body.data.map((k: { id: string }) => k.id)).toEqual([free.keyId]);
      const made = await as(cookie).post('/v1/api-keys', { name: 'Second' }).expect(201);
      // The key made in the console is still a key: the plan refuses it until the account upgrades.
      await t.http.get('/v1/me').set('X-API-Key', made.body.data.key).expect(403);
    });
  });
});

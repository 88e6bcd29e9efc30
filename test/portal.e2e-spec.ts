import { randomInt } from 'node:crypto';
import { createAccount } from './utils/api';
import { createTestApp, type TestApp } from './utils/test-app';
import { CapturedStdout } from './utils/captured-stdout';

const PUBLIC_URL = 'http://console.latchkey.test:8080';
const ORIGIN = PUBLIC_URL;

describe('portal sessions (e2e)', () => {
  let t: TestApp;
  // Each test comes from an address of its own (through a trusted proxy), so the refusals one test
  // provokes on purpose do not spend the per-IP budget of the next.
  let ip = '10.255.255.1';
  beforeEach(() => {
    ip = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
  });
  const http = {
    get: (path: string) => t.http.get(path).set('X-Forwarded-For', ip),
    head: (path: string) => t.http.head(path).set('X-Forwarded-For', ip),
    post: (path: string) => t.http.post(path).set('X-Forwarded-For', ip),
    patch: (path: string) => t.http.patch(path).set('X-Forwarded-For', ip),
    delete: (path: string) => t.http.delete(path).set('X-Forwarded-For', ip),
  };
  let acme: { accountId: string; key: string; keyId: string };
  let operatorAccountId: string;
  const secrets: string[] = [];
  const logs = new CapturedStdout();

  beforeAll(async () => {
    logs.start();
    t = await createTestApp({ LOG_LEVEL: 'info', PUBLIC_URL, TRUST_PROXY: '127.0.0.1' });
    acme = await createAccount(t.http, t.operatorKey, { plan: 'pro', name: 'Acme' });
    operatorAccountId = (await http.get('/v1/me').set('X-API-Key', t.operatorKey).expect(200)).body.data.account.id;
  });
  afterAll(async () => {
    await t.close();
    logs.stop();
  });

  const link = async (accountId: string, body: object = {}, key = t.operatorKey) => {
    const res = await t.http
      .post(`/v1/admin/accounts/${accountId}/portal-sessions`)
      .set('X-API-Key', key)
      .send({ user: { id: 'user_42', email: 'jane@acme.test', name: 'Jane' }, ...body })
      .expect(201);
    const code = /#code=(pst_[0-9A-Za-z]+)$/.exec(res.body.data.url)![1];
    secrets.push(code);
    return { id: res.body.data.id as string, code, body: res.body.data };
  };
  const redeem = (code: string) => http.post('/v1/portal/redeem').set('Origin', ORIGIN).send({ code });
  const cookieOf = (setCookie: string[] | string | undefined): string => {
    const line = [setCookie ?? []].flat().find((c) => c.startsWith('lk_session='))!;
    return line.split(';')[0];
  };
  const signIn = async (accountId = acme.accountId, body: object = {}) => {
    const { id, code } = await link(accountId, body);
    const res = await redeem(code).expect(200);
    const cookie = cookieOf(res.headers['set-cookie']);
    secrets.push(cookie.slice('lk_session='.length));
    return { id, cookie };
  };
  const as = (cookie: string) => ({
    get: (path: string) => http.get(path).set('Cookie', cookie),
    post: (path: string, body?: object) => http.post(path).set('Cookie', cookie).set('Origin', ORIGIN).send(body),
    patch: (path: string, body: object) => http.patch(path).set('Cookie', cookie).set('Origin', ORIGIN).send(body),
    delete: (path: string) => http.delete(path).set('Cookie', cookie).set('Origin', ORIGIN),
  });
  const sql = <T = Record<string, unknown>>(query: string, params: unknown[] = []) => t.orm.em.getConnection().execute<T[]>(query, params);

  describe('creating a sign-in link', () => {
    it('answers 201 with the link, its code in the fragment, and stores only hashes', async () => {
      const before = Date.now();
      const res = await t.http
        .post(`/v1/admin/accounts/${acme.accountId}/portal-sessions`)
        .set('X-API-Key', t.operatorKey)
        .send({ user: { id: 'user_42', email: 'jane@acme.test' }, return_url: 'https://app.acme.test/settings' })
        .expect(201);
      const data = res.body.data;
      expect(data).toMatchObject({
        id: expect.stringMatching(/^ps_[0-9A-Za-z]{22}$/),
        account_id: acme.accountId,
        user: { id: 'user_42', email: 'jane@acme.test', name: null },
        scopes: ['*'],
        return_url: 'https://app.acme.test/settings',
        redeemed_at: null,
      });
      expect(data.url).toMatch(new RegExp(`^${PUBLIC_URL}/console/#code=pst_[0-9A-Za-z]{43}$`));
      const code = data.url.split('#code=')[1];
      secrets.push(code);
      expect(Date.parse(data.code_expires_at) - before).toBeGreaterThanOrEqual(600_000 - 1000);
      expect(Date.parse(data.code_expires_at) - before).toBeLessThanOrEqual(600_000 + 1000);
      expect(Math.abs(Date.parse(data.expires_at) - before - 3_600_000)).toBeLessThan(2000);
      const [row] = await sql('select * from portal_sessions where id = ?', [data.id]);
      expect(JSON.stringify(row)).not.toContain(code);
      expect(row.code_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.token_hash).toBeNull();
    });

    it('caps the code at the session lifetime and takes ttl_seconds from 300 to 86400', async () => {
      const short = await link(acme.accountId, { ttl_seconds: 300 });
      expect(short.body.code_expires_at).toBe(short.body.expires_at);
      await link(acme.accountId, { ttl_seconds: 86_400 });
      for (const ttl_seconds of [299, 86_401, 3600.5, '3600']) {
        const res = await http.post(`/v1/admin/accounts/${acme.accountId}/portal-sessions`).set('X-API-Key', t.operatorKey).send({ user: { id: 'u' }, ttl_seconds }).expect(400);
        expect(res.body.details[0].field).toBe('ttl_seconds');
      }
    });

    it.each([
      [{ user: { id: 'u' }, return_url: 'http://app.acme.test/' }, 'return_url'],
      [{ user: { id: 'u' }, return_url: 'javascript:alert(1)' }, 'return_url'],
      [{ user: { id: 'u' }, return_url: 'http://localhost.evil.test/' }, 'return_url'],
      [{ user: { id: 'u' }, return_url: 'https://user:pw@app.acme.test/' }, 'return_url'],
      [{ user: { id: 'u' }, return_url: 'not a url' }, 'return_url'],
      [{}, 'user'],
      [{ user: 'user_42' }, 'user'],
      [{ user: { id: '' } }, 'user.id'],
      [{ user: { id: 'x'.repeat(101) } }, 'user.id'],
      [{ user: { id: 'a\nb' } }, 'user.id'],
      [{ user: { id: 'u', email: 'not-an-email' } }, 'user.email'],
      [{ user: { id: 'u', role: 'admin' } }, 'user.role'],
      [{ user: { id: 'u' }, scopes: [] }, 'scopes'],
      [{ user: { id: 'u' }, scopes: ['keys:everything'] }, 'scopes'],
      [{ user: { id: 'u' }, extra: true }, 'extra'],
    ])('refuses %j with 400 on %s', async (body, field) => {
      const res = await http.post(`/v1/admin/accounts/${acme.accountId}/portal-sessions`).set('X-API-Key', t.operatorKey).send(body).expect(400);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED' });
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    });

    it('accepts http return URLs on localhost and 127.0.0.1 only', async () => {
      for (const return_url of ['http://localhost:5173/back', 'http://127.0.0.1/']) {
        expect((await link(acme.accountId, { return_url })).body.return_url).toBe(return_url);
      }
    });

    it('is for admin keys only; admin scope only for the operator account; unknown accounts are 404', async () => {
      const customer = await http.post(`/v1/admin/accounts/${acme.accountId}/portal-sessions`).set('X-API-Key', acme.key).send({ user: { id: 'u' } }).expect(403);
      expect(customer.body.code).toBe('INSUFFICIENT_SCOPE');
      const admin = await t.http
        .post(`/v1/admin/accounts/${acme.accountId}/portal-sessions`)
        .set('X-API-Key', t.operatorKey)
        .send({ user: { id: 'u' }, scopes: ['*', 'admin'] })
        .expect(403);
      expect(admin.body).toMatchObject({ code: 'INSUFFICIENT_SCOPE', error: "The admin scope is only for the operator's own account." });
      await http.post('/v1/admin/accounts/acct_0000000000000000000000/portal-sessions').set('X-API-Key', t.operatorKey).send({ user: { id: 'u' } }).expect(404);
      await http.post('/v1/admin/accounts/nope/portal-sessions').set('X-API-Key', t.operatorKey).send({ user: { id: 'u' } }).expect(404);
      const own = await link(operatorAccountId, { scopes: ['*', 'admin'] });
      expect(own.body.scopes).toEqual(['*', 'admin']);
    });
  });

  describe('redeeming a code', () => {
    it('answers 200 with the session and account and sets an HttpOnly, SameSite=Strict cookie', async () => {
      const { id, code } = await link(acme.accountId, { scopes: ['keys:read', 'audit:read'] });
      const res = await redeem(code).expect(200);
      expect(res.body.data).toEqual({
        session: {
          id,
          expires_at: expect.any(String),
          user: { id: 'user_42', email: 'jane@acme.test', name: 'Jane' },
          scopes: ['keys:read', 'audit:read'],
          return_url: null,
        },
        account: { id: acme.accountId, name: 'Acme', plan: 'pro' },
      });
      const setCookie = [res.headers['set-cookie']].flat().find((c: string) => c.startsWith('lk_session='))!;
      const attributes = setCookie.split(';').map((a: string) => a.trim());
      expect(attributes[0]).toMatch(/^lk_session=[0-9A-Za-z]{43}$/);
      expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/']));
      expect(attributes).not.toContain('Secure');
      const maxAge = Number(attributes.find((a: string) => a.startsWith('Max-Age='))!.split('=')[1]);
      expect(maxAge).toBeGreaterThan(3500);
      expect(maxAge).toBeLessThanOrEqual(3600);
      const token = attributes[0].slice('lk_session='.length);
      secrets.push(token);
      expect(JSON.stringify(res.body)).not.toContain(token);
      const [row] = await sql('select * from portal_sessions where id = ?', [id]);
      expect(row.code_hash).toBeNull();
      expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain(token);
    });

    it('answers unknown, used and expired codes with one byte-identical 401', async () => {
      const used = await link(acme.accountId);
      await redeem(used.code).expect(200);
      const expired = await link(acme.accountId);
      await sql("update portal_sessions set code_expires_at = now() - interval '1 second' where id = ?", [expired.id]);
      const unknown = `pst_${'A'.repeat(43)}`;
      const answers = [];
      for (const code of [unknown, used.code, expired.code, 'garbage']) {
        answers.push(await http.post('/v1/portal/redeem').set('Origin', ORIGIN).set('X-Request-Id', 'same-request').send({ code }).expect(401));
      }
      expect(answers[0].body).toEqual({ success: false, error: 'This sign-in link is invalid or has expired.', code: 'UNAUTHORIZED', request_id: 'same-request' });
      for (const a of answers) {
        expect(a.text).toBe(answers[0].text);
        expect(a.headers['set-cookie']).toBeUndefined();
      }
    });

    it('lets exactly one of ten concurrent redeems of a code win', async () => {
      const { code } = await link(acme.accountId);
      const results = await Promise.all(Array.from({ length: 10 }, () => redeem(code)));
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      expect(results.filter((r) => r.status === 401)).toHaveLength(9);
    });

    it('refuses a redeem a browser sent from another site, and the code still works from the console', async () => {
      const { code } = await link(acme.accountId);
      const crossOrigin = await http.post('/v1/portal/redeem').set('Origin', 'https://evil.test').send({ code }).expect(403);
      expect(crossOrigin.body).toMatchObject({ code: 'CSRF_REJECTED' });
      await http.post('/v1/portal/redeem').set('Sec-Fetch-Site', 'cross-site').send({ code }).expect(403);
      await http.post('/v1/portal/redeem').set('Sec-Fetch-Site', 'same-origin').send({ code }).expect(200);
      // A client that is no browser (no Origin, no Sec-Fetch-Site) cannot plant a session in one.
      await http.post('/v1/portal/redeem').send({ code: (await link(acme.accountId)).code }).expect(200);
    });

    it('refuses bad bodies with 400', async () => {
      await http.post('/v1/portal/redeem').set('Origin', ORIGIN).send({}).expect(400);
      await http.post('/v1/portal/redeem').set('Origin', ORIGIN).send({ code: 42 }).expect(400);
      await http.post('/v1/portal/redeem').set('Origin', ORIGIN).send({ code: 'x', more: 1 }).expect(400);
      await http.post('/v1/portal/redeem').set('Origin', ORIGIN).set('Content-Type', 'text/plain').send('code=x').expect(415);
    });
  });

  describe('a session as a credential', () => {
    it('answers /v1/me with the account and the session instead of a key', async () => {
      const { id, cookie } = await signIn();
      const res = await as(cookie).get('/v1/me').expect(200);
      expect(res.body.data).toEqual({
        account: { id: acme.accountId, name: 'Acme', email: 'ops@acme.test', plan: 'pro' },
        session: { id, user: { id: 'user_42', email: 'jane@acme.test', name: 'Jane' }, scopes: ['*'], expires_at: expect.any(String) },
      });
      const session = await as(cookie).get('/v1/portal/session').expect(200);
      expect(session.body.data).toMatchObject({ id, account_id: acme.accountId, scopes: ['*'], redeemed_at: expect.any(String) });
    });

    it('sees and creates keys of both environments, and its changes are audited as the user', async () => {
      const { id, cookie } = await signIn();
      const test = await as(cookie).post('/v1/api-keys', { name: 'from console', environment: 'test' }).expect(201);
      secrets.push(test.body.data.key);
      const live = await as(cookie).post('/v1/api-keys', { name: 'live from console' }).expect(201);
      secrets.push(live.body.data.key);
      expect(live.body.data.environment).toBe('live');
      const listed = await as(cookie).get('/v1/api-keys?limit=100').expect(200);
      expect(listed.body.data.map((k: { environment: string }) => k.environment)).toEqual(expect.arrayContaining(['live', 'test']));
      await as(cookie).patch(`/v1/api-keys/${test.body.data.id}`, { name: 'renamed' }).expect(200);
      const events = await http.get(`/v1/audit-events?key_id=${test.body.data.id}`).set('X-API-Key', acme.key).expect(200);
      expect(events.body.data.map((e: { action: string }) => e.action)).toEqual(['api_key.updated', 'api_key.created']);
      for (const e of events.body.data) expect(e.actor).toEqual({ type: 'user', id: 'user_42', session_id: id });
      const rows = await sql('select actor_type, actor_id, actor_session_id from audit_events where target_id = ?', [test.body.data.id]);
      expect(rows).toEqual([
        { actor_type: 'user', actor_id: 'user_42', actor_session_id: id },
        { actor_type: 'user', actor_id: 'user_42', actor_session_id: id },
      ]);
      // Keys made in the console carry no last use from the console's own requests.
      const [key] = await sql<{ last_used_at: Date | null }>('select last_used_at from api_keys where id = ?', [live.body.data.id]);
      expect(key.last_used_at).toBeNull();
      const verify = await http.get('/v1/audit-events/verify').set('X-API-Key', acme.key).expect(200);
      expect(verify.body.data.ok).toBe(true);
    });

    it('holds the session to its scopes: audit:read + keys:read cannot create, change or delete', async () => {
      const { cookie } = await signIn(acme.accountId, { scopes: ['audit:read', 'keys:read'] });
      await as(cookie).get('/v1/api-keys').expect(200);
      await as(cookie).get('/v1/audit-events').expect(200);
      const refused = await as(cookie).post('/v1/api-keys', { name: 'x' }).expect(403);
      expect(refused.body.code).toBe('INSUFFICIENT_SCOPE');
      expect((await as(cookie).patch(`/v1/api-keys/${acme.keyId}`, { name: 'x' }).expect(403)).body.code).toBe('INSUFFICIENT_SCOPE');
      expect((await as(cookie).delete(`/v1/api-keys/${acme.keyId}`).expect(403)).body.code).toBe('INSUFFICIENT_SCOPE');
      expect((await as(cookie).post(`/v1/api-keys/${acme.keyId}/revoke`).expect(403)).body.code).toBe('INSUFFICIENT_SCOPE');
      expect((await as(cookie).get('/v1/account').expect(403)).body.code).toBe('INSUFFICIENT_SCOPE');
      expect((await as(cookie).get('/v1/admin/accounts').expect(403)).body.code).toBe('INSUFFICIENT_SCOPE');
    });

    it("answers 404 for another account's keys", async () => {
      const other = await createAccount(t.http, t.operatorKey, { plan: 'pro', name: 'Other' });
      secrets.push(other.key);
      const { cookie } = await signIn();
      await as(cookie).get(`/v1/api-keys/${other.keyId}`).expect(404);
      await as(cookie).patch(`/v1/api-keys/${other.keyId}`, { name: 'x' }).expect(404);
      await as(cookie).delete(`/v1/api-keys/${other.keyId}`).expect(404);
      await as(cookie).get(`/v1/api-keys/${other.keyId}/usage`).expect(404);
      const listed = await as(cookie).get('/v1/api-keys?limit=100').expect(200);
      expect(listed.body.data.map((k: { id: string }) => k.id)).not.toContain(other.keyId);
    });

    it('ignores the cookie when a key header is sent: the key alone decides', async () => {
      const other = await createAccount(t.http, t.operatorKey, { plan: 'pro', name: 'Keyed' });
      secrets.push(other.key);
      const { cookie } = await signIn();
      const keyed = await http.get('/v1/me').set('Cookie', cookie).set('X-API-Key', other.key).expect(200);
      expect(keyed.body.data.account.id).toBe(other.accountId);
      expect(keyed.body.data.key.id).toBe(other.keyId);
      expect(keyed.body.data.session).toBeUndefined();
      const bearer = await http.get('/v1/me').set('Cookie', cookie).set('Authorization', `Bearer ${other.key}`).expect(200);
      expect(bearer.body.data.account.id).toBe(other.accountId);
      // A bad key is refused even with a good session cookie, and a key-authenticated change needs no Origin.
      await http.get('/v1/me').set('Cookie', cookie).set('X-API-Key', `lk_live_${'0'.repeat(48)}`).expect(401);
      const created = await http.post('/v1/api-keys').set('Cookie', cookie).set('X-API-Key', other.key).send({ name: 'k' }).expect(201);
      secrets.push(created.body.data.key);
    });

    it('refuses the routes made for services and gateways, and a key on the session routes', async () => {
      const { cookie } = await signIn();
      const verify = await as(cookie).post('/v1/keys/verify', { key: acme.key }).expect(401);
      expect(verify.body).toMatchObject({ code: 'UNAUTHORIZED', error: 'API key is missing' });
      await as(cookie).get('/v1/auth/check').expect(401);
      await as(cookie).get('/v1/status').expect(401);
      const keyed = await http.get('/v1/portal/session').set('X-API-Key', acme.key).expect(401);
      expect(keyed.body.error).toBe('This route needs a console session.');
      await http.post('/v1/portal/logout').set('X-API-Key', acme.key).expect(401);
      await http.get('/v1/portal/session').expect(401);
    });

    it('refuses an unknown, malformed or doubled cookie with the session-ended answer', async () => {
      const { cookie } = await signIn();
      for (const bad of [`lk_session=${'A'.repeat(43)}`, 'lk_session=short', `${cookie}; ${cookie}`]) {
        const res = await http.get('/v1/me').set('Cookie', bad).expect(401);
        expect(res.body).toMatchObject({ code: 'UNAUTHORIZED', error: 'Your session has ended. Sign in again.' });
      }
      await as(cookie).get('/v1/me').expect(200);
    });
  });

  describe('CSRF', () => {
    it('refuses a change through the cookie without the console origin, and accepts the right Origin or Sec-Fetch-Site', async () => {
      const { cookie } = await signIn();
      const send = () => http.post('/v1/api-keys').set('Cookie', cookie);
      const expectCsrf = async (res: { status: number; body: { code: string; error: string } }) => {
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({ code: 'CSRF_REJECTED', error: "This request did not come from the console's own origin, so it was refused." });
      };
      await expectCsrf(await send().send({ name: 'no origin' }));
      await expectCsrf(await send().set('Origin', 'https://evil.test').send({ name: 'wrong origin' }));
      await expectCsrf(await send().set('Origin', 'http://console.latchkey.test').send({ name: 'wrong port' }));
      await expectCsrf(await send().set('Origin', 'null').send({ name: 'opaque origin' }));
      await expectCsrf(await send().set('Sec-Fetch-Site', 'cross-site').send({ name: 'cross site' }));
      await expectCsrf(await send().set('Sec-Fetch-Site', 'same-site').send({ name: 'same site' }));
      await expectCsrf(await http.delete(`/v1/api-keys/${acme.keyId}`).set('Cookie', cookie));
      const rows = await sql("select count(*)::int as n from api_keys where name in ('no origin', 'wrong origin', 'wrong port', 'opaque origin', 'cross site', 'same site')");
      expect(rows[0].n).toBe(0);
      const byOrigin = await send().set('Origin', ORIGIN).send({ name: 'right origin' }).expect(201);
      const bySite = await send().set('Sec-Fetch-Site', 'same-origin').send({ name: 'same origin' }).expect(201);
      secrets.push(byOrigin.body.data.key, bySite.body.data.key);
      await http.get('/v1/api-keys').set('Cookie', cookie).expect(200);
      await http.head('/v1/me').set('Cookie', cookie).expect(200);
    });
  });

  describe('ending a session', () => {
    it('logout ends the session, clears the cookie, and is audited', async () => {
      const { id, cookie } = await signIn();
      await http.post('/v1/portal/logout').set('Cookie', cookie).expect(403);
      const res = await as(cookie).post('/v1/portal/logout').expect(200);
      expect(res.body).toEqual({ success: true, message: 'Signed out.' });
      const cleared = [res.headers['set-cookie']].flat().find((c: string) => c.startsWith('lk_session='))!;
      expect(cleared).toMatch(/^lk_session=;/);
      expect(cleared).toMatch(/Max-Age=0/);
      expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970 00:00:00 GMT/);
      expect(cleared).toMatch(/Path=\//);
      for (const path of ['/v1/me', '/v1/portal/session', '/v1/api-keys']) {
        const refused = await as(cookie).get(path).expect(401);
        expect(refused.body).toMatchObject({ code: 'UNAUTHORIZED', error: 'Your session has ended. Sign in again.' });
      }
      await as(cookie).post('/v1/portal/logout').expect(401);
      const [ended] = await sql('select ended_reason, token_hash from portal_sessions where id = ?', [id]);
      expect(ended).toEqual({ ended_reason: 'logout', token_hash: null });
      const events = await http.get(`/v1/audit-events?action=portal_session.ended&actor_type=user`).set('X-API-Key', acme.key).expect(200);
      expect(events.body.data.find((e: { target: { id: string } }) => e.target.id === id)).toMatchObject({
        actor: { type: 'user', id: 'user_42', session_id: id },
        target: { type: 'portal_session', id },
        changes: { ended_reason: { before: null, after: 'logout' } },
      });
    });

    it('the operator lists live sessions and ends one; an expired one is refused too', async () => {
      const account = await createAccount(t.http, t.operatorKey, { plan: 'pro', name: 'Listed' });
      secrets.push(account.key);
      const a = await signIn(account.accountId);
      const b = await signIn(account.accountId);
      const pending = await link(account.accountId);
      const expiredLink = await link(account.accountId);
      await sql("update portal_sessions set code_expires_at = now() - interval '1 second' where id = ?", [expiredLink.id]);
      const list = await http.get(`/v1/admin/accounts/${account.accountId}/portal-sessions`).set('X-API-Key', t.operatorKey).expect(200);
      expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([pending.id, b.id, a.id]);
      expect(JSON.stringify(list.body)).not.toMatch(/pst_|code_hash|token_hash/);
      const page = await http.get(`/v1/admin/accounts/${account.accountId}/portal-sessions?limit=2`).set('X-API-Key', t.operatorKey).expect(200);
      const next = await http.get(`/v1/admin/accounts/${account.accountId}/portal-sessions?limit=2&cursor=${page.body.next_cursor}`).set('X-API-Key', t.operatorKey).expect(200);
      expect([...page.body.data, ...next.body.data].map((s: { id: string }) => s.id)).toEqual([pending.id, b.id, a.id]);
      await http.get(`/v1/admin/accounts/${account.accountId}/portal-sessions`).set('X-API-Key', account.key).expect(403);
      await http.get('/v1/admin/accounts/acct_0000000000000000000000/portal-sessions').set('X-API-Key', t.operatorKey).expect(404);

      const ended = await http.delete(`/v1/admin/portal-sessions/${a.id}`).set('X-API-Key', t.operatorKey).expect(200);
      expect(ended.body).toEqual({ success: true, message: 'Portal session ended.' });
      expect((await as(a.cookie).get('/v1/me').expect(401)).body.error).toBe('Your session has ended. Sign in again.');
      await http.delete(`/v1/admin/portal-sessions/${a.id}`).set('X-API-Key', t.operatorKey).expect(404);
      await http.delete('/v1/admin/portal-sessions/ps_nope').set('X-API-Key', t.operatorKey).expect(404);
      await http.delete(`/v1/admin/portal-sessions/${b.id}`).set('X-API-Key', account.key).expect(403);
      // An ended link cannot be redeemed either.
      await http.delete(`/v1/admin/portal-sessions/${pending.id}`).set('X-API-Key', t.operatorKey).expect(200);
      await redeem(pending.code).expect(401);

      await as(b.cookie).get('/v1/me').expect(200);
      await sql("update portal_sessions set expires_at = now() - interval '1 second' where id = ?", [b.id]);
      expect((await as(b.cookie).get('/v1/me').expect(401)).body.error).toBe('Your session has ended. Sign in again.');
      const after = await http.get(`/v1/admin/accounts/${account.accountId}/portal-sessions`).set('X-API-Key', t.operatorKey).expect(200);
      expect(after.body.data).toEqual([]);
      const audit = await http.get(`/v1/admin/accounts/${account.accountId}/audit-events?action=portal_session.ended`).set('X-API-Key', t.operatorKey).expect(200);
      expect(audit.body.data.map((e: { actor: { type: string }; target: { id: string } }) => [e.actor.type, e.target.id])).toEqual([
        ['operator', pending.id],
        ['operator', a.id],
      ]);
    });

    it('suspending the account ends its sessions, for good', async () => {
      const account = await createAccount(t.http, t.operatorKey, { plan: 'pro', name: 'Suspended' });
      secrets.push(account.key);
      const s1 = await signIn(account.accountId);
      const s2 = await signIn(account.accountId);
      const pending = await link(account.accountId);
      await http.patch(`/v1/admin/accounts/${account.accountId}`).set('X-API-Key', t.operatorKey).send({ status: 'suspended' }).expect(200);
      for (const s of [s1, s2]) expect((await as(s.cookie).get('/v1/me').expect(401)).body.error).toBe('Your session has ended. Sign in again.');
      await redeem(pending.code).expect(401);
      const refused = await http.post(`/v1/admin/accounts/${account.accountId}/portal-sessions`).set('X-API-Key', t.operatorKey).send({ user: { id: 'u' } }).expect(409);
      expect(refused.body.code).toBe('CONFLICT');
      await http.patch(`/v1/admin/accounts/${account.accountId}`).set('X-API-Key', t.operatorKey).send({ status: 'active' }).expect(200);
      await as(s1.cookie).get('/v1/me').expect(401);
      const rows = await sql<{ id: string; ended_reason: string }>('select id, ended_reason from portal_sessions where account_id = ? order by id', [account.accountId]);
      expect(rows.map((r: { ended_reason: string }) => r.ended_reason)).toEqual(['account_suspended', 'account_suspended', 'account_suspended']);
      const audit = await http.get(`/v1/admin/accounts/${account.accountId}/audit-events?action=portal_session.ended`).set('X-API-Key', t.operatorKey).expect(200);
      expect(audit.body.data).toHaveLength(3);
      for (const e of audit.body.data) expect(e.changes).toEqual({ ended_reason: { before: null, after: 'account_suspended' } });
    });
  });

  describe('the operator console', () => {
    it('an admin session of the operator account manages accounts and opens another console, audited as the user', async () => {
      const { id, cookie } = await signIn(operatorAccountId, { scopes: ['*', 'admin'], user: { id: 'ops-1' } });
      await as(cookie).get('/v1/admin/accounts').expect(200);
      const opened = await as(cookie).post(`/v1/admin/accounts/${acme.accountId}/portal-sessions`, { user: { id: 'support' }, scopes: ['keys:read'] }).expect(201);
      secrets.push(opened.body.data.url.split('#code=')[1]);
      // A session never grants more than it holds.
      const wider = await signIn(operatorAccountId, { scopes: ['keys:read', 'admin'], user: { id: 'ops-2' } });
      await as(wider.cookie).post(`/v1/admin/accounts/${acme.accountId}/portal-sessions`, { user: { id: 'x' } }).expect(403);
      const events = await http.get(`/v1/audit-events?action=portal_session.created&actor_type=user`).set('X-API-Key', acme.key).expect(200);
      expect(events.body.data[0]).toMatchObject({ actor: { type: 'user', id: 'ops-1', session_id: id }, target: { type: 'portal_session', id: opened.body.data.id } });
    });
  });

  describe('audit', () => {
    it('filters by actor_type and refuses an unknown one', async () => {
      const { cookie } = await signIn();
      secrets.push((await as(cookie).post('/v1/api-keys', { name: 'filtered' }).expect(201)).body.data.key);
      const list = async (type: string) =>
        (await http.get(`/v1/audit-events?actor_type=${type}&limit=100`).set('X-API-Key', acme.key).expect(200)).body.data as { actor: { type: string } }[];
      const users = await list('user');
      expect(users.length).toBeGreaterThan(0);
      expect(new Set(users.map((e) => e.actor.type))).toEqual(new Set(['user']));
      expect(new Set((await list('operator')).map((e) => e.actor.type))).toEqual(new Set(['operator']));
      for (const e of await list('api_key')) expect(e.actor).toEqual({ type: 'api_key', id: expect.any(String) });
      const byUser = await http.get('/v1/audit-events?actor_id=user_42&actor_type=user&limit=100').set('X-API-Key', acme.key).expect(200);
      expect(byUser.body.data.length).toBe(users.filter((e) => (e as unknown as { actor: { id: string } }).actor.id === 'user_42').length);
      const bad = await http.get('/v1/audit-events?actor_type=robot').set('X-API-Key', acme.key).expect(400);
      expect(bad.body.details[0].field).toBe('actor_type');
      const exported = await http.get('/v1/audit-events/export?actor_type=user&format=ndjson').set('X-API-Key', acme.key).expect(200);
      const lines = exported.text.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => !l.checkpoint);
      expect(lines.length).toBe(users.length);
    });
  });

  describe('budget', () => {
    it("spends the session's own 300 a minute, never the plan's, and the other way round", async () => {
      await t.http
        .post('/v1/admin/plans')
        .set('X-API-Key', t.operatorKey)
        .send({ slug: 'tiny', name: 'Tiny', api_access: true, max_keys: 5, rate_limit_per_minute: 3, rate_limit_per_hour: 1000 })
        .expect(201);
      const account = await createAccount(t.http, t.operatorKey, { plan: 'tiny', name: 'Tiny' });
      secrets.push(account.key);
      const { cookie } = await signIn(account.accountId);
      for (let i = 0; i < 3; i++) await http.get('/v1/me').set('X-API-Key', account.key).expect(200);
      await http.get('/v1/me').set('X-API-Key', account.key).expect(429);
      const first = await as(cookie).get('/v1/api-keys').expect(200);
      expect(first.headers['x-ratelimit-limit']).toBe('300');
      expect(first.headers['x-ratelimit-remaining']).toBe('299');
      const made = await as(cookie).post('/v1/api-keys', { name: 'made while the API is limited' }).expect(201);
      secrets.push(made.body.data.key);
      let remaining = 298;
      for (; remaining > 0; remaining--) {
        const res = await as(cookie).get('/v1/me').expect(200);
        expect(res.headers['x-ratelimit-remaining']).toBe(String(remaining - 1));
      }
      const limited = await as(cookie).get('/v1/me').expect(429);
      expect(limited.headers['retry-after']).toBeDefined();
      // A second session of the same account has its own budget.
      const other = await signIn(account.accountId);
      expect((await as(other.cookie).get('/v1/me').expect(200)).headers['x-ratelimit-remaining']).toBe('299');
    });

    it('a key whose plan limit the console did not touch still has it all', async () => {
      const account = await createAccount(t.http, t.operatorKey, { plan: 'tiny', name: 'Tiny two' });
      secrets.push(account.key);
      const { cookie } = await signIn(account.accountId);
      for (let i = 0; i < 20; i++) await as(cookie).get('/v1/me').expect(200);
      const res = await http.get('/v1/me').set('X-API-Key', account.key).expect(200);
      expect(res.headers['x-ratelimit-remaining']).toBe('2');
    });
  });

  it('never lets a code or session token reach a log line, an audit row or a response body', async () => {
    await new Promise((r) => setTimeout(r, 100));
    const text = logs.text;
    expect(text).toContain('request completed');
    expect(text).toContain('/v1/portal/redeem');
    const audit = JSON.stringify(await sql('select * from audit_events'));
    const stored = JSON.stringify(await sql('select * from portal_sessions'));
    expect(secrets.length).toBeGreaterThan(20);
    for (const secret of secrets) {
      expect(text).not.toContain(secret);
      expect(audit).not.toContain(secret);
      expect(stored).not.toContain(secret);
    }
  });

  it('counts failed redeems against the IP like invalid keys: 429 after 30 a minute', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await redeem(`pst_${String(i).padStart(43, 'x')}`)).status);
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses[30]).toBe(429);
  });
});

describe('portal sessions under an https PUBLIC_URL (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ PUBLIC_URL: 'https://keys.example.com' });
  });
  afterAll(() => t.close());

  it('marks the cookie Secure and makes links under PUBLIC_URL', async () => {
    const { accountId } = await createAccount(t.http, t.operatorKey, { plan: 'pro' });
    const created = await t.http.post(`/v1/admin/accounts/${accountId}/portal-sessions`).set('X-API-Key', t.operatorKey).send({ user: { id: 'u' } }).expect(201);
    expect(created.body.data.url).toMatch(/^https:\/\/keys\.example\.com\/console\/#code=pst_/);
    const code = created.body.data.url.split('#code=')[1];
    const res = await t.http.post('/v1/portal/redeem').set('Origin', 'https://keys.example.com').send({ code }).expect(200);
    const setCookie = [res.headers['set-cookie']].flat().find((c: string) => c.startsWith('lk_session='))!;
    expect(setCookie.split(';').map((a: string) => a.trim())).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/', 'Secure']));
    const cookie = setCookie.split(';')[0];
    await t.http.post('/v1/api-keys').set('Cookie', cookie).set('Origin', 'http://keys.example.com').send({ name: 'x' }).expect(403);
    await t.http.post('/v1/api-keys').set('Cookie', cookie).set('Origin', 'https://keys.example.com').send({ name: 'x' }).expect(201);
    const out = await t.http.post('/v1/portal/logout').set('Cookie', cookie).set('Origin', 'https://keys.example.com').expect(200);
    expect([out.headers['set-cookie']].flat().find((c: string) => c.startsWith('lk_session='))).toMatch(/Secure/);
  });
});

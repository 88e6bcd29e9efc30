import { ApiKey } from '../src/keys/api-key.entity';
import { createAccount } from './utils/api';
import { createTestApp, type TestApp } from './utils/test-app';

describe('authorization: tenants, scopes, environments, limits (e2e)', () => {
  let t: TestApp;
  let alice: { accountId: string; key: string; keyId: string };
  let bob: { accountId: string; key: string; keyId: string };

  beforeAll(async () => {
    t = await createTestApp();
    alice = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Alice' });
    bob = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Bob' });
  });
  afterAll(() => t.close());

  const as = (key: string) => ({
    get: (path: string) => t.http.get(path).set('X-API-Key', key),
    post: (path: string, body?: object) => t.http.post(path).set('X-API-Key', key).send(body),
    patch: (path: string, body: object) => t.http.patch(path).set('X-API-Key', key).send(body),
    delete: (path: string) => t.http.delete(path).set('X-API-Key', key),
  });
  const keyFor = async (owner: string, body: object) => (await as(owner).post('/v1/api-keys', { name: 'k', ...body }).expect(201)).body.data;

  describe('tenant isolation', () => {
    const routes: [string, (id: string) => [string, string, object?]][] = [
      ['GET', (id) => ['get', `/v1/api-keys/${id}`]],
      ['PATCH', (id) => ['patch', `/v1/api-keys/${id}`, { name: 'stolen' }]],
      ['deactivate', (id) => ['post', `/v1/api-keys/${id}/deactivate`]],
      ['activate', (id) => ['post', `/v1/api-keys/${id}/activate`]],
      ['regenerate', (id) => ['post', `/v1/api-keys/${id}/regenerate`]],
      ['revoke', (id) => ['post', `/v1/api-keys/${id}/revoke`]],
      ['DELETE', (id) => ['delete', `/v1/api-keys/${id}`]],
    ];

    it.each(routes)('%s on another account\'s key is the same 404 as a random id, and leaves it working', async (_name, route) => {
      const send = async (id: string) => {
        const [method, path, body] = route(id);
        const req = (t.http as any)[method](path).set('X-API-Key', alice.key).set('X-Request-Id', 'same');
        const res = await (body ? req.send(body) : req);
        return { status: res.status, text: res.text };
      };
      const before = await t.orm.em.fork().findOneOrFail(ApiKey, { id: bob.keyId });
      const foreign = await send(bob.keyId);
      const random = await send('key_0000000000000000000000');
      expect(foreign).toEqual(random);
      expect(foreign.status).toBe(404);
      expect(JSON.parse(foreign.text).code).toBe('NOT_FOUND');
      await as(bob.key).get('/v1/me').expect(200);
      const after = await t.orm.em.fork().findOneOrFail(ApiKey, { id: bob.keyId });
      expect(after).toEqual(before);
    });

    it('lists only the caller\'s own keys', async () => {
      const res = await as(alice.key).get('/v1/api-keys?limit=100').expect(200);
      expect(res.body.data.map((k: { id: string }) => k.id)).not.toContain(bob.keyId);
    });
  });

  describe('scopes', () => {
    it('gives a key without scopes its creator\'s scopes, and refuses an empty list', async () => {
      const narrow = await keyFor(alice.key, { scopes: ['keys:read', 'keys:write'] });
      const child = await keyFor(narrow.key, {});
      expect(child.scopes).toEqual(['keys:read', 'keys:write']);
      const res = await as(alice.key).post('/v1/api-keys', { name: 'x', scopes: [] }).expect(400);
      expect(res.body.details[0].field).toBe('scopes');
    });

    it('never lets a key create, widen or manage beyond its own scopes', async () => {
      const narrow = await keyFor(alice.key, { scopes: ['keys:read', 'keys:write'] });
      for (const scopes of [['*'], ['audit:read'], ['keys:read', 'account:read'], ['admin']]) {
        expect((await as(narrow.key).post('/v1/api-keys', { name: 'x', scopes }).expect(403)).body.code).toBe('INSUFFICIENT_SCOPE');
      }
      const own = await keyFor(narrow.key, { scopes: ['keys:read'] });
      await as(narrow.key).patch(`/v1/api-keys/${own.id}`, { scopes: ['*'] }).expect(403);
      // The full key is beyond `narrow`: no regenerating (its secret), revoking or deactivating it.
      for (const action of ['regenerate', 'revoke', 'deactivate']) {
        expect((await as(narrow.key).post(`/v1/api-keys/${alice.keyId}/${action}`).expect(403)).body.code).toBe('INSUFFICIENT_SCOPE');
      }
      await as(narrow.key).delete(`/v1/api-keys/${alice.keyId}`).expect(403);
      await as(alice.key).get('/v1/me').expect(200);
      const readOnly = await keyFor(alice.key, { scopes: ['keys:read'] });
      expect((await as(readOnly.key).post('/v1/api-keys', { name: 'x' }).expect(403)).body.code).toBe('INSUFFICIENT_SCOPE');
      await as(readOnly.key).get('/v1/api-keys').expect(200);
      await as(readOnly.key).get('/v1/account').expect(403);
    });

    it('keeps admin out of customer reach: * never means admin', async () => {
      await as(alice.key).post('/v1/api-keys', { name: 'x', scopes: ['admin'] }).expect(403);
      await as(alice.key).get('/v1/admin/accounts').expect(403);
      const opKey = await keyFor(t.operatorKey, { scopes: ['admin'] });
      await as(opKey.key).get('/v1/admin/accounts').expect(200);
    });
  });

  describe('environments', () => {
    it('lets a test key see and manage only test keys', async () => {
      const testKey = await keyFor(alice.key, { environment: 'test' });
      expect(testKey.key).toMatch(/^lk_test_/);
      const child = await keyFor(testKey.key, {});
      expect(child.environment).toBe('test');
      const live = await as(testKey.key).post('/v1/api-keys', { name: 'x', environment: 'live' }).expect(403);
      expect(live.body.code).toBe('ENVIRONMENT_MISMATCH');
      const list = await as(testKey.key).get('/v1/api-keys?limit=100').expect(200);
      expect(new Set(list.body.data.map((k: { environment: string }) => k.environment))).toEqual(new Set(['test']));
      await as(testKey.key).get('/v1/api-keys?environment=live').expect(403);
      await as(testKey.key).get(`/v1/api-keys/${alice.keyId}`).expect(404);
      await as(testKey.key).post(`/v1/api-keys/${alice.keyId}/revoke`).expect(404);
      await as(alice.key).get('/v1/me').expect(200);
      await as(testKey.key).post(`/v1/api-keys/${child.id}/revoke`).expect(200);
    });
  });

  describe('plan key limit', () => {
    it('holds under 20 concurrent creates one below the limit: exactly one 201', async () => {
      const acct = await createAccount(t.http, t.operatorKey, { plan: 'pro' });
      for (let i = 0; i < 3; i++) await keyFor(acct.key, {});
      const results = await Promise.all(
        Array.from({ length: 20 }, () => t.http.post('/v1/api-keys').set('X-API-Key', acct.key).send({ name: 'race' })),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 403)).toHaveLength(19);
      for (const r of results.filter((x) => x.status === 403)) expect(r.body.code).toBe('KEY_LIMIT_REACHED');
      expect(await t.orm.em.fork().count(ApiKey, { account: acct.accountId })).toBe(5);
      // The refused creates left nothing behind: one audit event and one outbox event per key, and the chain verifies.
      const count = async (query: string) => Number((await t.orm.em.getConnection().execute(query, [acct.accountId]))[0].n);
      expect(await count("select count(*) as n from audit_events where account_id = ? and action = 'api_key.created'")).toBe(5);
      expect(await count("select count(*) as n from webhook_events where account_id = ? and type = 'api_key.created'")).toBe(5);
      expect((await as(acct.key).get('/v1/audit-events/verify').expect(200)).body.data).toMatchObject({ ok: true, first_broken_event_id: null });

      const extra = (await as(acct.key).get('/v1/api-keys?limit=100').expect(200)).body.data.find((k: { id: string }) => k.id !== acct.keyId);
      await as(acct.key).post(`/v1/api-keys/${extra.id}/revoke`).expect(200);
      const replacement = await keyFor(acct.key, {});
      await as(acct.key).post('/v1/api-keys', { name: 'over' }).expect(403);
      await as(acct.key).delete(`/v1/api-keys/${replacement.id}`).expect(200);
      await keyFor(acct.key, {});
    });
  });

  describe('verification for other services', () => {
    it('verifies own keys, reports refusals, and treats other tenants\' keys as unknown', async () => {
      const verifier = await keyFor(alice.key, { scopes: ['keys:verify'] });
      const target = await keyFor(alice.key, { scopes: ['keys:read'] });
      const ok = await as(verifier.key).post('/v1/keys/verify', { key: target.key }).expect(200);
      expect(ok.body.data).toEqual({ valid: true, code: null, account_id: alice.accountId, key_id: target.id, environment: 'live', scopes: ['keys:read'] });
      const foreign = await as(verifier.key).post('/v1/keys/verify', { key: bob.key }).expect(200);
      const made = await as(verifier.key).post('/v1/keys/verify', { key: 'lk_live_nope' }).expect(200);
      expect(foreign.body.data).toEqual(made.body.data);
      expect(foreign.body.data).toMatchObject({ valid: false, code: 'UNAUTHORIZED', account_id: null });
      await as(alice.key).post(`/v1/api-keys/${target.id}/revoke`).expect(200);
      const revoked = await as(verifier.key).post('/v1/keys/verify', { key: target.key }).expect(200);
      expect(revoked.body.data).toMatchObject({ valid: false, code: 'API_KEY_REVOKED', key_id: target.id });
      const opView = await as(t.operatorKey).post('/v1/keys/verify', { key: bob.key }).expect(200);
      expect(opView.body.data).toMatchObject({ valid: true, account_id: bob.accountId });
      await as(target.key).post('/v1/keys/verify', { key: bob.key }).expect(401);
      const noScope = await keyFor(alice.key, { scopes: ['keys:read'] });
      expect((await as(noScope.key).post('/v1/keys/verify', { key: bob.key }).expect(403)).body.code).toBe('INSUFFICIENT_SCOPE');
      await as(verifier.key).post('/v1/keys/verify', {}).expect(400);
    });

    it('checks restrictions against the ip and origin a gateway passes', async () => {
      const verifier = await keyFor(alice.key, { scopes: ['keys:verify'] });
      const pinned = await keyFor(alice.key, { allowed_ips: ['198.51.100.0/24'], allowed_referrers: ['https://*.example.com'] });
      const verify = (body: object) => as(verifier.key).post('/v1/keys/verify', { key: pinned.key, ...body }).expect(200);
      expect((await verify({ ip: '198.51.100.9', origin: 'https://app.example.com' })).body.data.valid).toBe(true);
      expect((await verify({ ip: '203.0.113.1', origin: 'https://app.example.com' })).body.data.code).toBe('IP_NOT_ALLOWED');
      expect((await verify({ origin: 'https://app.example.com' })).body.data.code).toBe('IP_NOT_ALLOWED');
      expect((await verify({ ip: '198.51.100.9', origin: 'https://evil.test' })).body.data.code).toBe('REFERRER_NOT_ALLOWED');
    });

    it('answers forward-auth with identity headers', async () => {
      const res = await as(alice.key).get('/v1/auth/check').expect(200);
      expect(res.headers['x-account-id']).toBe(alice.accountId);
      expect(res.headers['x-key-id']).toBe(alice.keyId);
      expect(res.headers['x-key-scopes']).toBe('*');
      const refused = await t.http.get('/v1/auth/check').expect(401);
      expect(refused.headers['x-account-id']).toBeUndefined();
    });
  });
});

describe('IP and referrer restrictions (e2e)', () => {
  for (const trusted of [false, true]) {
    describe(trusted ? 'behind a trusted proxy (TRUST_PROXY=127.0.0.1)' : 'without TRUST_PROXY', () => {
      let t: TestApp;
      let owner: { key: string };
      beforeAll(async () => {
        t = await createTestApp(trusted ? { TRUST_PROXY: '127.0.0.1' } : {});
        owner = await createAccount(t.http, t.operatorKey, { plan: 'enterprise' });
      });
      afterAll(() => t.close());

      const pinned = async (body: object) =>
        (await t.http.post('/v1/api-keys').set('X-API-Key', owner.key).send({ name: 'pinned', ...body }).expect(201)).body.data.key as string;
      const me = (key: string, headers: Record<string, string> = {}) => t.http.get('/v1/me').set('X-API-Key', key).set(headers);

      it('matches IPv4 addresses and ranges', async () => {
        await me(await pinned({ allowed_ips: ['127.0.0.1'] })).expect(200);
        await me(await pinned({ allowed_ips: ['127.0.0.0/8'] })).expect(200);
        const res = await me(await pinned({ allowed_ips: ['10.0.0.0/8'] })).expect(403);
        expect(res.body).toMatchObject({ code: 'IP_NOT_ALLOWED' });
      });

      it(trusted ? 'believes X-Forwarded-For from the proxy (v4 and v6)' : 'ignores a spoofed X-Forwarded-For', async () => {
        const inside = await pinned({ allowed_ips: ['10.0.0.0/8', '2001:db8::/32'] });
        const v4 = await me(inside, { 'X-Forwarded-For': '10.1.2.3' });
        const v6 = await me(inside, { 'X-Forwarded-For': '2001:db8::7' });
        expect([v4.status, v6.status]).toEqual(trusted ? [200, 200] : [403, 403]);
        const outside = await pinned({ allowed_ips: ['127.0.0.1'] });
        expect((await me(outside, { 'X-Forwarded-For': '203.0.113.5' })).status).toBe(trusted ? 403 : 200);
      });

      it('matches the Origin or Referer against wildcard patterns', async () => {
        const key = await pinned({ allowed_referrers: ['https://*.example.com'] });
        await me(key, { Origin: 'https://app.example.com' }).expect(200);
        await me(key, { Referer: 'https://a.b.example.com/page' }).expect(200);
        for (const headers of [{ Origin: 'https://example.com' }, { Origin: 'https://evil.test' }, {}] as Record<string, string>[]) {
          expect((await me(key, headers).expect(403)).body.code).toBe('REFERRER_NOT_ALLOWED');
        }
      });
    });
  }
});

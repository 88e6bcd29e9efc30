import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiKey } from '../src/keys/api-key.entity';
import { createAccount } from './utils/api';
import { createTestApp, type TestApp } from './utils/test-app';

/** Sends raw header pairs (repeats allowed), which HTTP client libraries would merge. */
function rawGet(t: TestApp, path: string, headers: [string, string][]): Promise<{ status: number; body: any; headers: any }> {
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET', headers: [['Host', `127.0.0.1:${port}`], ...headers].flat() }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: data ? JSON.parse(data) : null, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('authentication (e2e)', () => {
  let t: TestApp;
  let pro: { accountId: string; key: string; keyId: string };

  beforeAll(async () => {
    t = await createTestApp();
    pro = await createAccount(t.http, t.operatorKey, { plan: 'pro' });
  });
  afterAll(() => t.close());

  it('lets the operator key call /v1/me', async () => {
    const res = await t.http.get('/v1/me').set('X-API-Key', t.operatorKey).expect(200);
    expect(res.body.data.account).toMatchObject({ name: 'Operator', plan: 'enterprise' });
    expect(res.body.data.key.scopes).toEqual(['*', 'admin']);
  });

  it('authenticates a pro key through X-API-Key and through Bearer (any scheme case)', async () => {
    for (const [name, value] of [
      ['X-API-Key', pro.key],
      ['Authorization', `Bearer ${pro.key}`],
      ['Authorization', `bEaReR ${pro.key}`],
    ]) {
      const res = await t.http.get('/v1/me').set(name, value).expect(200);
      expect(res.body).toEqual({
        success: true,
        data: {
          account: { id: pro.accountId, name: 'Acme', email: 'ops@acme.test', plan: 'pro' },
          key: { id: pro.keyId, name: 'Default key', environment: 'live', scopes: ['*'] },
        },
      });
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  it('refuses a free-plan key with the seed message', async () => {
    const free = await createAccount(t.http, t.operatorKey, { plan: 'free' });
    const res = await t.http.get('/v1/me').set('X-API-Key', free.key).expect(403);
    expect(res.body).toMatchObject({
      success: false,
      code: 'FORBIDDEN',
      error: 'API access is not available on the Free plan. Upgrade to Pro.',
    });
  });

  it('refuses a suspended account, and lets it back in when reactivated', async () => {
    const acct = await createAccount(t.http, t.operatorKey);
    await t.http.patch(`/v1/admin/accounts/${acct.accountId}`).set('X-API-Key', t.operatorKey).send({ status: 'suspended' }).expect(200);
    const res = await t.http.get('/v1/me').set('X-API-Key', acct.key).expect(403);
    expect(res.body.code).toBe('ACCOUNT_SUSPENDED');
    await t.http.patch(`/v1/admin/accounts/${acct.accountId}`).set('X-API-Key', t.operatorKey).send({ status: 'active' }).expect(200);
    await t.http.get('/v1/me').set('X-API-Key', acct.key).expect(200);
  });

  describe('401s', () => {
    const missingBody = (id: string) => ({ success: false, error: 'API key is missing', code: 'UNAUTHORIZED', request_id: id });
    const invalidBody = (id: string) => ({ success: false, error: 'API key is invalid', code: 'UNAUTHORIZED', request_id: id });

    it('answers a missing key with WWW-Authenticate', async () => {
      const res = await t.http.get('/v1/me').set('X-Request-Id', 'r-missing').expect(401);
      expect(res.body).toEqual(missingBody('r-missing'));
      expect(res.headers['www-authenticate']).toContain('X-API-Key');
    });

    it('refuses mistyped and made-up keys without a database query', async () => {
      const mistyped = pro.key.slice(0, -1) + (pro.key.endsWith('A') ? 'B' : 'A');
      const madeUp = `lk_live_${'A1b2C3d4E5'.repeat(4)}abcdefgh`;
      const logger = t.orm.config.getLogger();
      const spy = jest.spyOn(logger, 'logQuery');
      try {
        for (const key of [mistyped, madeUp, 'not-a-key', `Bearer ${madeUp}`]) {
          const res = await t.http.get('/v1/me').set('X-API-Key', key).set('X-Request-Id', 'same').expect(401);
          expect(res.body).toEqual(invalidBody('same'));
          expect(res.headers['www-authenticate']).toBeDefined();
        }
        expect(spy).not.toHaveBeenCalled();
        // Control: the same spy does see the lookup of a well-formed key that is not cached.
        const fresh = await createAccount(t.http, t.operatorKey);
        spy.mockClear();
        await t.http.get('/v1/me').set('X-API-Key', fresh.key).expect(200);
        expect(spy.mock.calls.some(([ctx]) => /from api_keys/i.test(ctx.query ?? ''))).toBe(true);
      } finally {
        spy.mockRestore();
      }
    });

    it('refuses a made-up key on any route before routing, except on the public ones', async () => {
      const madeUp = `lk_live_${'Z9y8X7w6V5'.repeat(4)}abcdefgh`;
      // Refused before Nest routes the request: an unknown path is a 401 too, not a 404 to probe with.
      const unknown = await t.http.get('/v1/no-such-endpoint').set('X-API-Key', madeUp).set('X-Request-Id', 'early').expect(401);
      expect(unknown.body).toEqual(invalidBody('early'));
      expect(unknown.headers['x-request-id']).toBe('early');
      expect(unknown.headers['cache-control']).toBe('no-store');
      await t.http.post('/v1/api-keys').set('Authorization', `Bearer ${madeUp}`).send({ name: 'x' }).expect(401);
      // Routes that need no key ignore whatever key they are sent.
      await t.http.get('/health/live').set('X-API-Key', madeUp).expect(200);
    });

    it('gives unknown (well-formed, right check tag) and deleted keys the same bytes as a bad check tag', async () => {
      const acct = await createAccount(t.http, t.operatorKey);
      const badTag = acct.key.slice(0, -1) + (acct.key.endsWith('A') ? 'B' : 'A');
      const bodies: string[] = [];
      const send = async (key: string) => {
        const res = await t.http.get('/v1/me').set('X-API-Key', key).set('X-Request-Id', 'fixed').expect(401);
        bodies.push(res.text);
      };
      await send(badTag);
      // Deleted: the row is gone (what DELETE /v1/api-keys/{id} does).
      await t.orm.em.fork().nativeDelete(ApiKey, { id: acct.keyId });
      await send(acct.key);
      expect(new Set(bodies).size).toBe(1);
      expect(createHash('sha256').update(bodies[0]).digest('hex')).toBe(
        createHash('sha256').update(JSON.stringify(invalidBody('fixed'))).digest('hex'),
      );
    });

    it.each([
      ['revoked', { revokedAt: new Date() }, 'API_KEY_REVOKED', 'This API key has been revoked.'],
      ['expired', { expiresAt: new Date(Date.now() - 1000) }, 'API_KEY_EXPIRED', 'This API key has expired.'],
      ['inactive', { active: false }, 'API_KEY_INACTIVE', 'This API key is inactive.'],
    ])('refuses a %s key with its code', async (_label, change, code, message) => {
      const acct = await createAccount(t.http, t.operatorKey);
      await t.orm.em.fork().nativeUpdate(ApiKey, { id: acct.keyId }, change);
      const res = await t.http.get('/v1/me').set('X-API-Key', acct.key).expect(401);
      expect(res.body).toMatchObject({ success: false, code, error: message });
      expect(res.headers['www-authenticate']).toBeDefined();
    });

    it('refuses both headers carrying different keys, even if each is valid', async () => {
      const other = await createAccount(t.http, t.operatorKey);
      const res = await t.http.get('/v1/me').set('X-API-Key', pro.key).set('Authorization', `Bearer ${other.key}`).expect(401);
      expect(res.body.error).toBe('API key is invalid');
      await t.http.get('/v1/me').set('X-API-Key', pro.key).set('Authorization', `Bearer ${pro.key}`).expect(200);
    });

    it('refuses a repeated header', async () => {
      for (const name of ['X-API-Key', 'Authorization']) {
        const value = name === 'Authorization' ? `Bearer ${pro.key}` : pro.key;
        const res = await rawGet(t, '/v1/me', [[name, value], [name, value]]);
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('UNAUTHORIZED');
      }
    });

    it('never accepts a key from the query string', async () => {
      await t.http.get(`/v1/me?api_key=${pro.key}`).expect(401);
      const res = await t.http.get(`/v1/me?api_key=${pro.key}`).set('X-API-Key', pro.key).expect(401);
      expect(res.body.error).toBe('API key is invalid');
      await t.http.get(`/v1/me?whatever=${pro.key}`).set('X-API-Key', pro.key).expect(401);
    });

    it('refuses a non-Bearer Authorization scheme', async () => {
      await t.http.get('/v1/me').set('Authorization', `Basic ${pro.key}`).expect(401);
      await t.http.get('/v1/me').set('Authorization', `Bearer`).expect(401);
    });
  });

  it('keeps the admin API to operator keys', async () => {
    const res = await t.http.get('/v1/admin/accounts').set('X-API-Key', pro.key).expect(403);
    expect(res.body.code).toBe('INSUFFICIENT_SCOPE');
    await t.http.get('/v1/admin/plans').set('X-API-Key', pro.key).expect(403);
  });

  it('lets any valid key read /v1/status and /v1/plans, and account:read read /v1/account', async () => {
    const status = await t.http.get('/v1/status').set('X-API-Key', pro.key).expect(200);
    expect(status.body.data).toMatchObject({ service: 'operational', account_id: pro.accountId, plan: 'pro' });
    const plans = await t.http.get('/v1/plans').set('X-API-Key', pro.key).expect(200);
    expect(plans.body.data.map((p: { slug: string }) => p.slug).sort()).toEqual(['enterprise', 'free', 'pro']);
    expect(plans.body.next_cursor).toBeNull();
    const account = await t.http.get('/v1/account').set('X-API-Key', pro.key).expect(200);
    expect(account.body.data).toMatchObject({
      id: pro.accountId,
      plan: { slug: 'pro', api_access: true, max_keys: 5 },
      key_count: 1,
      max_keys: 5,
      rate_limit_per_minute: 60,
      rate_limit_per_hour: 1000,
    });
  });

  it('refuses /v1/account to a key without account:read', async () => {
    const acct = await createAccount(t.http, t.operatorKey);
    await t.orm.em.fork().nativeUpdate(ApiKey, { id: acct.keyId }, { scopes: ['keys:read'] });
    const res = await t.http.get('/v1/account').set('X-API-Key', acct.key).expect(403);
    expect(res.body.code).toBe('INSUFFICIENT_SCOPE');
    await t.orm.em.fork().nativeUpdate(ApiKey, { id: acct.keyId }, { scopes: [] });
    await t.http.get('/v1/account').set('X-API-Key', acct.key).expect(403);
  });
});

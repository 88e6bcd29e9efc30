import { AuditEvent } from '../src/audit/audit-event.entity';
import { ApiKey } from '../src/keys/api-key.entity';
import { createAccount } from './utils/api';
import { createTestApp, type TestApp } from './utils/test-app';

type Key = { id: string; key: string } & Record<string, unknown>;

describe('authority of keys (e2e)', () => {
  let t: TestApp;
  let alice: { accountId: string; key: string; keyId: string };
  beforeAll(async () => {
    t = await createTestApp();
    alice = await createAccount(t.http, t.operatorKey, { plan: 'enterprise' });
  });
  afterAll(() => t.close());

  const as = (key: string, origin?: string) => {
    const h = { 'X-API-Key': key, ...(origin ? { Origin: origin } : {}) };
    return {
      get: (path: string) => t.http.get(path).set(h),
      post: (path: string, body?: object) => t.http.post(path).set(h).send(body),
      patch: (path: string, body: object) => t.http.patch(path).set(h).send(body),
      delete: (path: string) => t.http.delete(path).set(h),
    };
  };
  const keyFor = async (maker: string, body: object, origin?: string): Promise<Key> =>
    (await as(maker, origin).post('/v1/api-keys', { name: 'k', ...body }).expect(201)).body.data;
  const row = (id: string) => t.orm.em.fork().findOneOrFail(ApiKey, { id }, { populate: ['secretHash', 'graceSecretHash'] });
  const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

  describe('a secret in its grace period', () => {
    it('authenticates requests but cannot manage keys, so a leaked old secret cannot undo a rotation', async () => {
      const k = await keyFor(alice.key, { scopes: ['keys:read', 'keys:write', 'keys:verify'] });
      const other = await keyFor(alice.key, { scopes: ['keys:read'] });
      const rotated = await as(alice.key).post(`/v1/api-keys/${k.id}/regenerate`, { grace_period_seconds: 300 }).expect(200);
      const fresh: string = rotated.body.data.key;
      const stored = await row(k.id);
      const old = as(k.key);

      await old.get('/v1/me').expect(200);
      await old.get(`/v1/api-keys/${k.id}`).expect(200);
      expect((await old.post('/v1/keys/verify', { key: other.key }).expect(200)).body.data.valid).toBe(true);

      const takeover = await old.post(`/v1/api-keys/${k.id}/regenerate`, { grace_period_seconds: 0 }).expect(403);
      expect(takeover.body).toMatchObject({
        success: false,
        code: 'INSUFFICIENT_SCOPE',
        error: 'A secret in its grace period can only authenticate requests; manage keys with the key\'s new secret.',
      });
      expect(takeover.body.data).toBeUndefined();
      for (const attempt of [
        old.post('/v1/api-keys', { name: 'spawn' }),
        old.patch(`/v1/api-keys/${k.id}`, { name: 'mine now' }),
        old.post(`/v1/api-keys/${other.id}/deactivate`),
        old.post(`/v1/api-keys/${other.id}/activate`),
        old.post(`/v1/api-keys/${other.id}/revoke`),
        old.delete(`/v1/api-keys/${other.id}`),
      ]) {
        expect((await attempt.expect(403)).body.code).toBe('INSUFFICIENT_SCOPE');
      }

      const after = await row(k.id);
      expect({ secret: after.secretHash, grace: after.graceSecretHash, name: after.name }).toEqual({
        secret: stored.secretHash, grace: stored.graceSecretHash, name: 'k',
      });
      expect((await row(other.id)).revokedAt).toBeNull();
      expect(await t.orm.em.fork().count(ApiKey, { account: alice.accountId, name: 'spawn' })).toBe(0);
      // The owner's new secret still manages the key.
      await as(fresh).patch(`/v1/api-keys/${k.id}`, { name: 'renamed' }).expect(200);
      await as(fresh).post(`/v1/api-keys/${k.id}/regenerate`).expect(200);
    });

    it('cannot use the operator powers of an admin key', async () => {
      const ops = await keyFor(t.operatorKey, { scopes: ['admin', 'keys:verify'] });
      await as(t.operatorKey).post(`/v1/api-keys/${ops.id}/regenerate`, { grace_period_seconds: 300 }).expect(200);
      expect((await as(ops.key).get('/v1/admin/accounts').expect(403)).body.code).toBe('INSUFFICIENT_SCOPE');
      await as(ops.key).post('/v1/admin/accounts', { name: 'Evil', email: 'e@evil.test' }).expect(403);
      expect((await as(ops.key).post('/v1/keys/verify', { key: alice.key }).expect(200)).body.data.valid).toBe(true);
    });
  });

  describe('restrictions of the creating key', () => {
    const ORIGIN = 'https://app.example.com';
    let maker: Key;
    let makerExpiry: string;
    beforeAll(async () => {
      makerExpiry = inDays(1);
      maker = await keyFor(alice.key, {
        scopes: ['keys:read', 'keys:write'],
        expires_at: makerExpiry,
        allowed_ips: ['127.0.0.0/8', '::1'],
        allowed_referrers: ['https://*.example.com'],
      });
    });
    const byMaker = () => as(maker.key, ORIGIN);
    const refusedField = async (res: Promise<{ body: { code: string; details?: { field: string }[] } }>, field: string) => {
      const { body } = await res;
      expect(body.code).toBe('INSUFFICIENT_SCOPE');
      expect(body.details?.map((d) => d.field)).toEqual([field]);
    };

    it('are inherited by a child key that leaves them out', async () => {
      const child = await keyFor(maker.key, {}, ORIGIN);
      expect(child).toMatchObject({
        expires_at: makerExpiry,
        allowed_ips: ['127.0.0.0/8', '::1'],
        allowed_referrers: ['https://*.example.com'],
      });
      const row = await t.orm.em.fork().findOneOrFail(ApiKey, { id: child.id });
      expect(row.expiresAt?.toISOString()).toBe(makerExpiry);
      expect(row.allowedIps).toEqual(['127.0.0.0/8', '::1']);
    });

    it('bound what a child key may be given', async () => {
      const narrower = await keyFor(
        maker.key,
        { expires_at: inDays(0.5), allowed_ips: ['127.0.0.1', '127.1.0.0/16', '::1/128'], allowed_referrers: ['https://app.example.com', 'https://*.eu.example.com'] },
        ORIGIN,
      );
      expect(narrower.allowed_ips).toEqual(['127.0.0.1', '127.1.0.0/16', '::1/128']);
      const before = await t.orm.em.fork().count(ApiKey, { account: alice.accountId });
      const post = (body: object) => byMaker().post('/v1/api-keys', { name: 'wider', ...body }).expect(403);
      await refusedField(post({ expires_at: null }), 'expires_at');
      await refusedField(post({ expires_at: inDays(2) }), 'expires_at');
      await refusedField(post({ allowed_ips: [] }), 'allowed_ips');
      await refusedField(post({ allowed_ips: ['127.0.0.1', '10.0.0.0/8'] }), 'allowed_ips');
      await refusedField(post({ allowed_ips: ['126.0.0.0/7'] }), 'allowed_ips');
      await refusedField(post({ allowed_ips: ['::/0'] }), 'allowed_ips');
      await refusedField(post({ allowed_referrers: [] }), 'allowed_referrers');
      await refusedField(post({ allowed_referrers: ['https://example.com'] }), 'allowed_referrers');
      await refusedField(post({ allowed_referrers: ['http://app.example.com'] }), 'allowed_referrers');
      await refusedField(post({ allowed_referrers: ['https://*.evil.com'] }), 'allowed_referrers');
      await refusedField(post({ allowed_referrers: ['https://app.example.com:8443'] }), 'allowed_referrers');
      expect(await t.orm.em.fork().count(ApiKey, { account: alice.accountId })).toBe(before);
    });

    it('cannot be lifted by the key itself, only narrowed', async () => {
      const patch = (body: object) => byMaker().patch(`/v1/api-keys/${maker.id}`, body).expect(403);
      await refusedField(patch({ expires_at: null }), 'expires_at');
      await refusedField(patch({ expires_at: inDays(30) }), 'expires_at');
      await refusedField(patch({ allowed_ips: [] }), 'allowed_ips');
      await refusedField(patch({ allowed_referrers: [] }), 'allowed_referrers');
      const unchanged = await t.orm.em.fork().findOneOrFail(ApiKey, { id: maker.id });
      expect(unchanged.expiresAt?.toISOString()).toBe(makerExpiry);
      expect(unchanged.allowedIps).toEqual(['127.0.0.0/8', '::1']);
      expect(unchanged.allowedReferrers).toEqual(['https://*.example.com']);
      // The cached principal kept the old restrictions as well: a request from elsewhere is still refused.
      expect((await as(maker.key).get('/v1/me').expect(403)).body.code).toBe('REFERRER_NOT_ALLOWED');

      const narrowed = await byMaker().patch(`/v1/api-keys/${maker.id}`, { allowed_ips: ['127.0.0.0/8'] }).expect(200);
      expect(narrowed.body.data.allowed_ips).toEqual(['127.0.0.0/8']);
      // Once narrowed, the old range is wider than the key and cannot come back.
      await refusedField(byMaker().patch(`/v1/api-keys/${maker.id}`, { allowed_ips: ['127.0.0.0/8', '::1'] }).expect(403), 'allowed_ips');
    });

    it('keep the key from managing keys wider than itself, whose secret it could otherwise take', async () => {
      const wide = await keyFor(alice.key, { scopes: ['keys:read'] });
      for (const attempt of [
        byMaker().post(`/v1/api-keys/${wide.id}/regenerate`),
        byMaker().patch(`/v1/api-keys/${wide.id}`, { name: 'x' }),
        byMaker().post(`/v1/api-keys/${wide.id}/revoke`),
        byMaker().delete(`/v1/api-keys/${wide.id}`),
      ]) {
        expect((await attempt.expect(403)).body.code).toBe('INSUFFICIENT_SCOPE');
      }
      await as(wide.key).get('/v1/me').expect(200);
      const child = await keyFor(maker.key, { scopes: ['keys:read'] }, ORIGIN);
      await byMaker().post(`/v1/api-keys/${child.id}/regenerate`).expect(200);
    });

    it('do not bind an unrestricted key', async () => {
      const free = await keyFor(alice.key, { scopes: ['keys:write', 'keys:read'] });
      const child = await keyFor(free.key, {});
      expect(child).toMatchObject({ expires_at: null, allowed_ips: [], allowed_referrers: [] });
      const restricted = await keyFor(free.key, { allowed_ips: ['203.0.113.0/24'] });
      await as(free.key).patch(`/v1/api-keys/${restricted.id}`, { allowed_ips: [], expires_at: null }).expect(200);
    });
  });

  describe('operator powers', () => {
    it('come from the admin scope, not from the account that holds the key', async () => {
      const verifier = await keyFor(t.operatorKey, { scopes: ['keys:verify'] });
      const probe = await as(verifier.key).post('/v1/keys/verify', { key: alice.key }).expect(200);
      expect(probe.body.data).toEqual({ valid: false, code: 'UNAUTHORIZED', account_id: null, key_id: null, environment: null, scopes: [] });
      const admin = await keyFor(t.operatorKey, { scopes: ['admin', 'keys:verify'] });
      const seen = await as(admin.key).post('/v1/keys/verify', { key: alice.key }).expect(200);
      expect(seen.body.data).toMatchObject({ valid: true, account_id: alice.accountId, key_id: alice.keyId });
    });

    it('decide the audit actor type: an operator-account key without admin acts as an api_key', async () => {
      const writer = await keyFor(t.operatorKey, { scopes: ['keys:write', 'keys:read'] });
      const made = await keyFor(writer.key, {});
      const byAdmin = await keyFor(t.operatorKey, { scopes: ['keys:read'] });
      const events = await t.orm.em.fork().find(AuditEvent, { targetId: { $in: [made.id, byAdmin.id] }, action: 'api_key.created' });
      const typeOf = (id: string) => events.find((e) => e.targetId === id)?.actorType;
      expect({ made: typeOf(made.id), byAdmin: typeOf(byAdmin.id) }).toEqual({ made: 'api_key', byAdmin: 'operator' });
    });
  });

  describe('plan key limit per environment', () => {
    it('gives test and live keys max_keys each, so test keys cannot use up the live limit', async () => {
      const acct = await createAccount(t.http, t.operatorKey, { plan: 'pro' });
      const testKey = await keyFor(acct.key, { environment: 'test' });
      for (let i = 0; i < 4; i++) await keyFor(testKey.key, {});
      const full = await as(testKey.key).post('/v1/api-keys', { name: 'sixth' }).expect(403);
      expect(full.body).toMatchObject({ code: 'KEY_LIMIT_REACHED', error: 'The Pro plan allows 5 test API keys; revoke or delete one, or upgrade.' });

      for (let i = 0; i < 4; i++) await keyFor(acct.key, {});
      expect((await as(acct.key).post('/v1/api-keys', { name: 'sixth' }).expect(403)).body.code).toBe('KEY_LIMIT_REACHED');
      expect(await t.orm.em.fork().count(ApiKey, { account: acct.accountId })).toBe(10);

      const live = await as(acct.key).get('/v1/account').expect(200);
      expect(live.body.data).toMatchObject({ key_count: 5, key_counts: { live: 5, test: 5 }, max_keys: 5 });
      const testChild = (await as(testKey.key).get('/v1/api-keys?limit=100').expect(200)).body.data.find((k: { id: string }) => k.id !== testKey.id);
      await as(testKey.key).post(`/v1/api-keys/${testChild.id}/revoke`).expect(200);
      const seenByTest = await as(testKey.key).get('/v1/account').expect(200);
      expect(seenByTest.body.data).toMatchObject({ key_count: 4, key_counts: { live: 5, test: 4 } });
      await keyFor(testKey.key, {});
      await as(acct.key).post('/v1/api-keys', { name: 'still full' }).expect(403);
    });
  });
});

import { AuditEvent } from '../src/audit/audit-event.entity';
import { ApiKey } from '../src/keys/api-key.entity';
import { createAccount } from './utils/api';
import { createTestApp, type TestApp } from './utils/test-app';
import { CapturedStdout } from './utils/captured-stdout';

describe('key lifecycle (e2e)', () => {
  let t: TestApp;
  let owner: { accountId: string; key: string; keyId: string };
  const secrets: string[] = [];
  const logs = new CapturedStdout();

  beforeAll(async () => {
    logs.start();
    t = await createTestApp({ LOG_LEVEL: 'info' });
    owner = await createAccount(t.http, t.operatorKey, { plan: 'enterprise' });
    secrets.push(owner.key);
  });
  afterAll(async () => {
    await t.close();
    logs.stop();
  });

  const as = (key: string) => ({
    get: (path: string) => t.http.get(path).set('X-API-Key', key),
    post: (path: string, body?: object) => t.http.post(path).set('X-API-Key', key).send(body),
    patch: (path: string, body: object) => t.http.patch(path).set('X-API-Key', key).send(body),
    delete: (path: string) => t.http.delete(path).set('X-API-Key', key),
  });
  const create = async (body: object = {}) => {
    const res = await as(owner.key).post('/v1/api-keys', { name: 'CI key', ...body }).expect(201);
    secrets.push(res.body.data.key);
    return res.body.data as { id: string; key: string } & Record<string, unknown>;
  };
  const row = (id: string) => t.orm.em.fork().findOne(ApiKey, { id }, { populate: ['secretHash', 'graceSecretHash'] });

  it('creates a key: 201, the key object plus the secret once, stored only as a hash', async () => {
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const res = await as(owner.key)
      .post('/v1/api-keys', {
        name: 'Production API Key',
        expires_at: future,
        scopes: ['keys:read'],
        allowed_ips: ['203.0.113.0/24'],
        allowed_referrers: ['https://*.example.com'],
        metadata: { team: 'billing' },
      })
      .expect(201);
    const key = res.body.data;
    secrets.push(key.key);
    expect(key).toMatchObject({
      name: 'Production API Key',
      prefix: 'lk_live_',
      environment: 'live',
      status: 'active',
      scopes: ['keys:read'],
      allowed_ips: ['203.0.113.0/24'],
      allowed_referrers: ['https://*.example.com'],
      metadata: { team: 'billing' },
      expires_at: new Date(future).toISOString(),
      last_used_at: null,
      revoked_at: null,
    });
    expect(key.last4).toBe(key.key.slice(-4));
    const stored = await row(key.id);
    expect(stored!.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(await t.orm.em.getConnection().execute('select * from api_keys'))).not.toContain(key.key);

    const got = await as(owner.key).get(`/v1/api-keys/${key.id}`).expect(200);
    expect(got.body.data).toEqual({ ...key, key: undefined, updated_at: expect.any(String) });
    expect(got.body.data.key).toBeUndefined();
  });

  it('creates keys concurrently on one account, between other changes: each with one audit event and one outbox event, the chain unbroken', async () => {
    const acct = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Concurrent' });
    secrets.push(acct.key);
    const renamed = (await as(acct.key).post('/v1/api-keys', { name: 'renamed often' }).expect(201)).body.data;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        i % 3 === 2 ? as(acct.key).patch(`/v1/api-keys/${renamed.id}`, { name: `rename ${i}` }) : as(acct.key).post('/v1/api-keys', { name: `c${i}`, metadata: { i } }),
      ),
    );
    const made = results.filter((r) => r.status === 201).map((r) => r.body.data);
    expect(made).toHaveLength(20);
    expect(results.filter((r) => r.status === 200)).toHaveLength(10);
    secrets.push(...made.map((k) => k.key));
    type Event = { target_id: string; changes: Record<string, unknown> };
    const sql = async <T>(query: string): Promise<T[]> => t.orm.em.getConnection().execute(query, [acct.accountId]);
    const events = await sql<Event>("select target_id, changes from audit_events where account_id = ? and action = 'api_key.created'");
    expect(events.map((e: Event) => e.target_id).sort()).toEqual([acct.keyId, renamed.id, ...made.map((k) => k.id)].sort());
    const outbox = (await sql<{ body: string }>("select body from webhook_events where account_id = ? and type = 'api_key.created'"))
      .map((r: { body: string }) => JSON.parse(r.body).data.object as { id: string });
    for (const { key: _secret, ...object } of made) {
      expect(outbox.filter((o: { id: string }) => o.id === object.id)).toEqual([object]);
      expect(events.find((e: Event) => e.target_id === object.id)?.changes.name).toEqual({ before: null, after: object.name });
    }
    const seqs = (await sql<{ seq: string }>('select seq from audit_events where account_id = ? order by seq')).map((r: { seq: string }) => Number(r.seq));
    expect(seqs).toEqual(seqs.map((_: number, i: number) => i + 1));
    expect((await as(acct.key).get('/v1/audit-events/verify?full=true').expect(200)).body.data).toMatchObject({ ok: true, checked: seqs.length });
  });

  it('lists keys masked, newest first, with filters and cursor pages', async () => {
    const a = await create({ name: 'list-a' });
    const b = await create({ name: 'list-b', environment: 'test' });
    await as(owner.key).post(`/v1/api-keys/${a.id}/deactivate`).expect(200);
    const all = await as(owner.key).get('/v1/api-keys?limit=100').expect(200);
    expect(all.body.next_cursor).toBeNull();
    for (const k of all.body.data) {
      expect(k.key).toBeUndefined();
      expect(Object.keys(k)).not.toContain('secret_hash');
    }
    const ids = all.body.data.map((k: { id: string }) => k.id);
    expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id));
    const inactive = await as(owner.key).get('/v1/api-keys?status=inactive').expect(200);
    expect(inactive.body.data.map((k: { id: string }) => k.id)).toEqual([a.id]);
    const tests = await as(owner.key).get('/v1/api-keys?environment=test').expect(200);
    expect(tests.body.data.map((k: { id: string }) => k.id)).toEqual([b.id]);
    const first = await as(owner.key).get('/v1/api-keys?limit=1').expect(200);
    const second = await as(owner.key).get(`/v1/api-keys?limit=1&cursor=${first.body.next_cursor}`).expect(200);
    expect(second.body.data[0].id).toBe(ids[1]);
    await as(owner.key).get('/v1/api-keys?status=gone').expect(400);
  });

  it('patches name, expiry, scopes, restrictions and metadata, and records before/after', async () => {
    const k = await create({ scopes: ['keys:read', 'keys:write'] });
    const res = await as(owner.key)
      .patch(`/v1/api-keys/${k.id}`, { name: 'Renamed', scopes: ['keys:read'], metadata: { v: 2 }, allowed_ips: ['::1'], expires_at: null })
      .expect(200);
    expect(res.body.data).toMatchObject({ name: 'Renamed', scopes: ['keys:read'], metadata: { v: 2 }, allowed_ips: ['::1'] });
    const event = await t.orm.em.fork().findOneOrFail(AuditEvent, { targetId: k.id, action: 'api_key.updated' });
    expect(event.changes).toMatchObject({ name: { before: 'CI key', after: 'Renamed' }, scopes: { before: ['keys:read', 'keys:write'], after: ['keys:read'] } });
    for (const bad of [{ name: '' }, { expires_at: '2001-01-01T00:00:00Z' }, { scopes: [] }, { allowed_ips: ['300.1.1.1'] }, { allowed_referrers: ['example.com'] }, { metadata: [] }, { environment: 'test' }, { active: false }]) {
      const r = await as(owner.key).patch(`/v1/api-keys/${k.id}`, bad).expect(400);
      expect(r.body.code).toBe('VALIDATION_FAILED');
    }
  });

  it('deactivates and activates with immediate effect', async () => {
    const k = await create();
    await as(k.key).get('/v1/me').expect(200);
    const off = await as(owner.key).post(`/v1/api-keys/${k.id}/deactivate`).expect(200);
    expect(off.body.data.status).toBe('inactive');
    expect((await as(k.key).get('/v1/me').expect(401)).body.code).toBe('API_KEY_INACTIVE');
    const on = await as(owner.key).post(`/v1/api-keys/${k.id}/activate`).expect(200);
    expect(on.body.data.status).toBe('active');
    await as(k.key).get('/v1/me').expect(200);
  });

  it('regenerates: new secret, same id and settings, old secret refused at once', async () => {
    const k = await create({ metadata: { keep: true } });
    await as(k.key).get('/v1/me').expect(200);
    const res = await as(owner.key).post(`/v1/api-keys/${k.id}/regenerate`).expect(200);
    secrets.push(res.body.data.key);
    expect(res.body.data).toMatchObject({ id: k.id, metadata: { keep: true }, status: 'active' });
    expect(res.body.data.key).not.toBe(k.key);
    expect(res.body.data.last4).toBe(res.body.data.key.slice(-4));
    expect((await as(k.key).get('/v1/me').expect(401)).body.error).toBe('API key is invalid');
    await as(res.body.data.key).get('/v1/me').expect(200);
  });

  it('regenerates with a grace period: both secrets work until it ends, then only the new one', async () => {
    const k = await create();
    await as(k.key).get('/v1/me').expect(200); // cached before the change
    const res = await as(owner.key).post(`/v1/api-keys/${k.id}/regenerate`, { grace_period_seconds: 2 }).expect(200);
    secrets.push(res.body.data.key);
    await as(k.key).get('/v1/me').expect(200);
    await as(res.body.data.key).get('/v1/me').expect(200);
    await new Promise((r) => setTimeout(r, 2100));
    expect((await as(k.key).get('/v1/me').expect(401)).body.code).toBe('UNAUTHORIZED');
    await as(res.body.data.key).get('/v1/me').expect(200);
    for (const bad of [{ grace_period_seconds: -1 }, { grace_period_seconds: 86_401 }, { grace_period_seconds: 1.5 }, { grace: 5 }]) {
      await as(owner.key).post(`/v1/api-keys/${k.id}/regenerate`, bad).expect(400);
    }
  });

  it('revokes irreversibly', async () => {
    const k = await create();
    const res = await as(owner.key).post(`/v1/api-keys/${k.id}/revoke`).expect(200);
    expect(res.body.data).toMatchObject({ status: 'revoked', revoked_at: expect.any(String) });
    expect((await as(k.key).get('/v1/me').expect(401)).body).toMatchObject({ code: 'API_KEY_REVOKED', error: 'This API key has been revoked.' });
    expect((await as(owner.key).post(`/v1/api-keys/${k.id}/activate`).expect(409)).body.code).toBe('CONFLICT');
    await as(owner.key).post(`/v1/api-keys/${k.id}/regenerate`).expect(409);
    await as(owner.key).post(`/v1/api-keys/${k.id}/revoke`).expect(200);
  });

  it('deletes: "API key revoked successfully", the row and its hash gone, the audit trail kept', async () => {
    const k = await create();
    const res = await as(owner.key).delete(`/v1/api-keys/${k.id}`).expect(200);
    expect(res.body).toEqual({ success: true, message: 'API key revoked successfully' });
    expect(await row(k.id)).toBeNull();
    const unknown = await as(k.key).get('/v1/me').set('X-Request-Id', 'x').expect(401);
    expect(unknown.body).toEqual({ success: false, error: 'API key is invalid', code: 'UNAUTHORIZED', request_id: 'x' });
    await as(owner.key).get(`/v1/api-keys/${k.id}`).expect(404);
    await as(owner.key).delete(`/v1/api-keys/${k.id}`).expect(404);
    const trail = await t.orm.em.fork().find(AuditEvent, { targetId: k.id }, { orderBy: { seq: 'asc' } });
    expect(trail.map((e) => e.action)).toEqual(['api_key.created', 'api_key.deleted']);
  });

  it('writes an audit event for every action, in the acting key\'s name', async () => {
    const k = await create();
    await as(owner.key).patch(`/v1/api-keys/${k.id}`, { name: 'n2' }).expect(200);
    await as(owner.key).post(`/v1/api-keys/${k.id}/deactivate`).expect(200);
    await as(owner.key).post(`/v1/api-keys/${k.id}/activate`).expect(200);
    const regen = await as(owner.key).post(`/v1/api-keys/${k.id}/regenerate`).set('X-Request-Id', 'regen-1').expect(200);
    secrets.push(regen.body.data.key);
    await as(owner.key).post(`/v1/api-keys/${k.id}/revoke`).expect(200);
    await as(owner.key).delete(`/v1/api-keys/${k.id}`).expect(200);
    const trail = await t.orm.em.fork().find(AuditEvent, { targetId: k.id }, { orderBy: { seq: 'asc' } });
    expect(trail.map((e) => e.action)).toEqual([
      'api_key.created', 'api_key.updated', 'api_key.deactivated', 'api_key.activated', 'api_key.regenerated', 'api_key.revoked', 'api_key.deleted',
    ]);
    for (const e of trail) expect(e).toMatchObject({ accountId: owner.accountId, actorType: 'api_key', actorId: owner.keyId, targetType: 'api_key' });
    expect(trail[4].requestId).toBe('regen-1');
  });

  it('never lets a secret reach a log line or an audit row, and shows each once', async () => {
    const events = JSON.stringify(await t.orm.em.getConnection().execute('select * from audit_events'));
    const keys = JSON.stringify(await t.orm.em.getConnection().execute('select * from api_keys'));
    expect(logs.text.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(events).not.toContain(secret);
      expect(keys).not.toContain(secret);
      expect(logs.text).not.toContain(secret);
    }
  });
});

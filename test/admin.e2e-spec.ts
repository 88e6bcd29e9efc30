import { Account } from '../src/accounts/account.entity';
import { AuditEvent } from '../src/audit/audit-event.entity';
import { ApiKey } from '../src/keys/api-key.entity';
import { createAccount } from './utils/api';
import { createTestApp, type TestApp } from './utils/test-app';

describe('operator API: accounts and plans (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const as = (key: string) => ({
    get: (path: string) => t.http.get(path).set('X-API-Key', key),
    post: (path: string, body?: object) => t.http.post(path).set('X-API-Key', key).send(body),
    patch: (path: string, body: object) => t.http.patch(path).set('X-API-Key', key).send(body),
  });
  const op = () => as(t.operatorKey);
  const events = (accountId: string) =>
    t.orm.em.fork().find(AuditEvent, { accountId }, { orderBy: { seq: 'asc' } });

  it('creates an account with its first key, shown once', async () => {
    const res = await op().post('/v1/admin/accounts', { name: 'Globex', email: 'it@globex.test', plan: 'pro' }).expect(201);
    const { account, api_key } = res.body.data;
    expect(account).toEqual({
      id: expect.stringMatching(/^acct_[0-9A-Za-z]{22}$/),
      name: 'Globex',
      email: 'it@globex.test',
      plan: 'pro',
      status: 'active',
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(Object.keys(api_key).sort()).toEqual(
      [
        'id', 'name', 'prefix', 'last4', 'environment', 'status', 'scopes', 'allowed_ips', 'allowed_referrers', 'metadata',
        'created_at', 'updated_at', 'expires_at', 'last_used_at', 'last_used_ip', 'revoked_at', 'key',
      ].sort(),
    );
    expect(api_key).toMatchObject({ prefix: 'lk_live_', environment: 'live', status: 'active', scopes: ['*'], revoked_at: null });
    expect(api_key.key).toMatch(/^lk_live_[0-9A-Za-z]{48}$/);
    expect(api_key.last4).toBe(api_key.key.slice(-4));

    const again = await op().get(`/v1/admin/accounts/${account.id}`).expect(200);
    expect(JSON.stringify(again.body)).not.toContain(api_key.key);

    const log = await events(account.id);
    expect(log.map((e) => e.action)).toEqual(['account.created', 'api_key.created']);
    expect(log[0]).toMatchObject({ actorType: 'operator', targetType: 'account', targetId: account.id, requestId: expect.any(String) });
    expect(log[1]).toMatchObject({ targetType: 'api_key', targetId: api_key.id, prevHash: log[0].hash });
    const rows = await t.orm.em.getConnection().execute('select * from audit_events');
    expect(JSON.stringify(rows)).not.toContain(api_key.key);
  });

  it('defaults to the free plan and refuses an unknown plan', async () => {
    const res = await op().post('/v1/admin/accounts', { name: 'Tiny', email: 'a@tiny.test' }).expect(201);
    expect(res.body.data.account.plan).toBe('free');
    const bad = await op().post('/v1/admin/accounts', { name: 'X', email: 'x@x.test', plan: 'platinum' }).expect(400);
    expect(bad.body.details).toEqual([{ field: 'plan', message: 'plan "platinum" does not exist' }]);
  });

  it('pages through accounts newest first with an opaque cursor', async () => {
    for (let i = 0; i < 3; i++) await createAccount(t.http, t.operatorKey, { name: `Paged ${i}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await op().get(`/v1/admin/accounts?limit=2${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((a: { id: string }) => a.id));
      cursor = res.body.next_cursor;
    } while (cursor);
    const all = await op().get('/v1/admin/accounts?limit=100').expect(200);
    expect(seen).toEqual(all.body.data.map((a: { id: string }) => a.id));
    const times = all.body.data.map((a: { created_at: string }) => a.created_at);
    expect([...times].sort().reverse()).toEqual(times);
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'cursor=!!!', `cursor=${Buffer.from('x|y').toString('base64url')}`]) {
      const res = await op().get(`/v1/admin/accounts?${q}`).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
  });

  it('answers unknown and malformed account ids with 404', async () => {
    for (const id of ['acct_0000000000000000000000', 'nope', "acct_'; drop table accounts;--", '%00']) {
      const res = await op().get(`/v1/admin/accounts/${encodeURIComponent(id)}`).expect(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
  });

  it('shows a renamed account on /v1/me at once (the cached identity is dropped)', async () => {
    const acct = await createAccount(t.http, t.operatorKey, { plan: 'pro' });
    expect((await as(acct.key).get('/v1/me').expect(200)).body.data.account.name).toBe('Acme');
    await op().patch(`/v1/admin/accounts/${acct.accountId}`, { name: 'Acme 2', email: 'new@acme.test' }).expect(200);
    expect((await as(acct.key).get('/v1/me').expect(200)).body.data.account).toMatchObject({ name: 'Acme 2', email: 'new@acme.test' });
  });

  it('moves an account between plans with immediate effect, and records the change', async () => {
    const acct = await createAccount(t.http, t.operatorKey, { plan: 'pro' });
    await as(acct.key).get('/v1/me').expect(200);
    const res = await op().patch(`/v1/admin/accounts/${acct.accountId}`, { plan: 'free', name: 'Renamed' }).expect(200);
    expect(res.body.data).toMatchObject({ plan: 'free', name: 'Renamed' });
    await as(acct.key).get('/v1/me').expect(403);
    const log = await events(acct.accountId);
    expect(log.at(-1)).toMatchObject({
      action: 'account.updated',
      actorType: 'operator',
      changes: { plan: { before: 'pro', after: 'free' }, name: { before: 'Acme', after: 'Renamed' } },
    });
    await op().patch(`/v1/admin/accounts/${acct.accountId}`, { status: 'frozen' }).expect(400);
    await op().patch(`/v1/admin/accounts/${acct.accountId}`, { name: null }).expect(400);
  });

  it('manages plans: create, conflict, update, and the effect on keys', async () => {
    const created = await op()
      .post('/v1/admin/plans', { slug: 'team', name: 'Team', api_access: false, max_keys: 10, rate_limit_per_minute: 120, rate_limit_per_hour: 3000 })
      .expect(201);
    expect(created.body.data).toEqual({
      slug: 'team', name: 'Team', api_access: false, max_keys: 10, rate_limit_per_minute: 120, rate_limit_per_hour: 3000,
    });
    const dup = await op()
      .post('/v1/admin/plans', { slug: 'team', name: 'Team', api_access: false, max_keys: 10, rate_limit_per_minute: 120, rate_limit_per_hour: 3000 })
      .expect(409);
    expect(dup.body.code).toBe('CONFLICT');
    const acct = await createAccount(t.http, t.operatorKey, { plan: 'team' });
    const refused = await as(acct.key).get('/v1/me').expect(403);
    expect(refused.body.error).toBe('API access is not available on the Team plan. Upgrade to Pro.');
    const updated = await op().patch('/v1/admin/plans/team', { api_access: true, max_keys: null }).expect(200);
    expect(updated.body.data).toMatchObject({ api_access: true, max_keys: null });
    await as(acct.key).get('/v1/me').expect(200);
    await op().get('/v1/admin/plans/team').expect(200);
    await op().get('/v1/admin/plans/nope-plan').expect(404);
    await op().patch('/v1/admin/plans/team', { rate_limit_per_minute: 0 }).expect(400);
    await op().patch('/v1/admin/plans/team', { name: null }).expect(400);

    const operator = (await as(t.operatorKey).get('/v1/me').expect(200)).body.data.account.id;
    const log = await events(operator);
    const planEvents = log.filter((e) => e.targetType === 'plan');
    expect(planEvents.map((e) => e.action)).toEqual(['plan.created', 'plan.updated']);
    expect(planEvents[1].changes).toEqual({
      api_access: { before: false, after: true },
      max_keys: { before: 10, after: null },
    });
  });

  it('never locks the operator out by taking API access from its plan', async () => {
    const customer = await createAccount(t.http, t.operatorKey, { plan: 'enterprise' });
    await op().patch('/v1/admin/plans/enterprise', { api_access: false }).expect(200);
    try {
      await as(customer.key).get('/v1/me').expect(403);
      await op().get('/v1/me').expect(200);
    } finally {
      await op().patch('/v1/admin/plans/enterprise', { api_access: true }).expect(200);
    }
    await as(customer.key).get('/v1/me').expect(200);
  });

  it('never commits a change without its audit event', async () => {
    const conn = t.orm.em.getConnection();
    await conn.execute(`create function fail_account_audit() returns trigger language plpgsql as $$
      begin if new.action = 'account.created' then raise exception 'audit store down'; end if; return new; end $$`);
    await conn.execute('create trigger fail_account_audit before insert on audit_events for each row execute function fail_account_audit()');
    try {
      const before = await t.orm.em.fork().count(Account, {});
      const res = await op().post('/v1/admin/accounts', { name: 'Doomed', email: 'd@d.test', plan: 'pro' });
      expect(res.status).toBe(500);
      expect(JSON.stringify(res.body)).not.toMatch(/audit store down|insert into|audit_events/);
      expect(await t.orm.em.fork().count(Account, {})).toBe(before);
      expect(await t.orm.em.fork().count(ApiKey, { account: { name: 'Doomed' } })).toBe(0);
    } finally {
      await conn.execute('drop trigger fail_account_audit on audit_events');
      await conn.execute('drop function fail_account_audit');
    }
  });
});

import { createAccount } from './utils/api';
import { createTestApp, type TestApp } from './utils/test-app';

describe('rate limits (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const me = (key: string) => t.http.get('/v1/me').set('X-API-Key', key);

  it('counts down on every response and answers the 61st request of a minute on pro with 429', async () => {
    const pro = await createAccount(t.http, t.operatorKey, { plan: 'pro' });
    const other = await createAccount(t.http, t.operatorKey, { plan: 'pro', name: 'Other' });
    const startedAt = Math.floor(Date.now() / 1000);
    for (let i = 1; i <= 60; i++) {
      const res = await me(pro.key).expect(200);
      expect(res.headers['x-ratelimit-limit']).toBe('60');
      expect(res.headers['x-ratelimit-remaining']).toBe(String(60 - i));
      const reset = Number(res.headers['x-ratelimit-reset']);
      expect(reset).toBeGreaterThan(startedAt);
      expect(reset).toBeLessThanOrEqual(startedAt + 61);
      expect(res.headers['ratelimit-policy']).toBe('"minute";q=60;w=60, "hour";q=1000;w=3600');
      expect(res.headers.ratelimit).toMatch(new RegExp(`^"minute";r=${60 - i};t=\\d+, "hour";r=${1000 - i};t=\\d+$`));
    }
    const limited = await me(pro.key).expect(429);
    expect(limited.body).toEqual({
      success: false,
      error: 'Too many requests. Retry after the time in the Retry-After header.',
      code: 'RATE_LIMITED',
      request_id: expect.any(String),
    });
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(Math.abs(Number(limited.headers['x-ratelimit-reset']) - (Math.ceil(Date.now() / 1000) + retryAfter))).toBeLessThanOrEqual(1);
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    // The budget is the account's, whatever the route, header or key.
    await t.http.get('/v1/plans').set('Authorization', `Bearer ${pro.key}`).expect(429);
    const res = await me(other.key).expect(200);
    expect(res.headers['x-ratelimit-remaining']).toBe('59');
  });

  it('holds the limit exactly under 150 overlapping requests', async () => {
    const acct = await createAccount(t.http, t.operatorKey, { plan: 'pro' });
    const results = await Promise.all(Array.from({ length: 150 }, () => me(acct.key)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(60);
    expect(results.filter((r) => r.status === 429)).toHaveLength(90);
  });

  it('keeps test-key traffic off the live budget', async () => {
    const acct = await createAccount(t.http, t.operatorKey, { plan: 'pro' });
    const testKey = (await t.http.post('/v1/api-keys').set('X-API-Key', acct.key).send({ name: 't', environment: 'test' }).expect(201)).body.data.key;
    const afterCreate = Number((await me(acct.key).expect(200)).headers['x-ratelimit-remaining']);
    for (let i = 0; i < 10; i++) await me(testKey).expect(200);
    expect((await me(testKey).expect(200)).headers['x-ratelimit-remaining']).toBe('49');
    expect(Number((await me(acct.key).expect(200)).headers['x-ratelimit-remaining'])).toBe(afterCreate - 1);
  });

  it('applies a plan change on the next request, without a restart', async () => {
    await t.http
      .post('/v1/admin/plans')
      .set('X-API-Key', t.operatorKey)
      .send({ slug: 'tiny', name: 'Tiny', api_access: true, max_keys: 2, rate_limit_per_minute: 100, rate_limit_per_hour: 1000 })
      .expect(201);
    const acct = await createAccount(t.http, t.operatorKey, { plan: 'tiny' });
    for (let i = 0; i < 3; i++) await me(acct.key).expect(200);
    await t.http.patch('/v1/admin/plans/tiny').set('X-API-Key', t.operatorKey).send({ rate_limit_per_minute: 3 }).expect(200);
    const res = await me(acct.key).expect(429);
    expect(res.headers['x-ratelimit-limit']).toBe('3');
    await t.http.patch(`/v1/admin/accounts/${acct.accountId}`).set('X-API-Key', t.operatorKey).send({ plan: 'enterprise' }).expect(200);
    expect((await me(acct.key).expect(200)).headers['x-ratelimit-limit']).toBe('600');
  });

  it('counts a missing scope (403) and carries the headers on it', async () => {
    const acct = await createAccount(t.http, t.operatorKey, { plan: 'pro' });
    const narrow = (await t.http.post('/v1/api-keys').set('X-API-Key', acct.key).send({ name: 'n', scopes: ['keys:read'] }).expect(201)).body.data.key;
    const res = await t.http.get('/v1/account').set('X-API-Key', narrow).expect(403);
    expect(res.headers['x-ratelimit-remaining']).toBeDefined();
  });

  it('cuts off a flood of made-up keys from one IP long before 1,000, while a valid key keeps working', async () => {
    const victim = await createAccount(t.http, t.operatorKey, { plan: 'enterprise' });
    const statuses: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const junk = `lk_live_${String(i).padStart(48, 'x')}`;
      statuses.push((await me(junk)).status);
      if (i % 50 === 0) await me(victim.key).expect(200);
    }
    const firstLimited = statuses.indexOf(429);
    expect(firstLimited).toBeGreaterThan(0);
    expect(firstLimited).toBeLessThanOrEqual(50);
    expect(statuses.slice(firstLimited).every((s) => s === 429)).toBe(true);
    const limited = await me('lk_live_nope').expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    const res = await me(victim.key).expect(200);
    expect(Number(res.headers['x-ratelimit-remaining'])).toBeGreaterThan(500);
  });

  it('limits health and docs per IP, with headers', async () => {
    const health = await t.http.get('/health/live').expect(200);
    expect(health.headers['x-ratelimit-limit']).toBe('300');
    const docs = await t.http.get('/openapi.json').expect(200);
    expect(Number(docs.headers['x-ratelimit-remaining'])).toBeLessThan(300);
  });
});

import { createAccount } from './utils/api';
import { createTestApp, type TestApp } from './utils/test-app';

describe('Prometheus metrics (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('serves the operator requests, latency, auth failures, cache, rate-limit and flush-lag metrics', async () => {
    const acct = await createAccount(t.http, t.operatorKey, { plan: 'pro' });
    for (let i = 0; i < 3; i++) await t.http.get('/v1/me').set('X-API-Key', acct.key).expect(200);
    await t.http.get('/v1/me').set('X-API-Key', 'lk_live_junk').expect(401);
    const res = await t.http.get('/metrics').set('X-API-Key', t.operatorKey).expect(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.text;
    expect(text).toMatch(/latchkey_http_requests_total\{route="\/v1\/me",method="GET",status="200"\} [3-9]/);
    expect(text).toMatch(/latchkey_http_request_duration_seconds_bucket\{le="0.005",route="\/v1\/me",method="GET",status_class="2xx"\}/);
    expect(text).toMatch(/latchkey_auth_failures_total\{reason="UNAUTHORIZED"\} [1-9]/);
    expect(text).toMatch(/latchkey_key_cache_hit_ratio 0\.\d+/);
    expect(text).toContain('latchkey_key_cache_trusted 1');
    expect(text).toMatch(/latchkey_event_flush_lag_seconds\{writer="last_used"\}/);
    for (let i = 0; i < 60; i++) await t.http.get('/v1/me').set('X-API-Key', acct.key);
    const after = (await t.http.get('/metrics').set('X-API-Key', t.operatorKey).expect(200)).text;
    expect(after).toMatch(/latchkey_rate_limit_rejections_total\{budget="plan"\} [1-9]/);
    expect(after).not.toContain(acct.key);
    expect(after).not.toContain(t.operatorKey);
  });

  it('is closed to customer keys and to callers without a key', async () => {
    const acct = await createAccount(t.http, t.operatorKey, { plan: 'enterprise' });
    expect((await t.http.get('/metrics').set('X-API-Key', acct.key).expect(403)).body.code).toBe('INSUFFICIENT_SCOPE');
    await t.http.get('/metrics').expect(401);
  });
});

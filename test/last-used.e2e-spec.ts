import { createAccount } from './utils/api';
import { createTestApp, type TestApp } from './utils/test-app';

describe('last used, through the event bus (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('shows last_used_at/last_used_ip within 10 s, with batched writes instead of one per request', async () => {
    const acct = await createAccount(t.http, t.operatorKey, { plan: 'pro' });
    const spy = jest.spyOn(t.orm.config.getLogger(), 'logQuery');
    const started = Date.now();
    try {
      for (let i = 0; i < 50; i++) await t.http.get('/v1/me').set('X-API-Key', acct.key).expect(200);
      // The spy sees queries (the first request had to look the key up)...
      expect(spy.mock.calls.some(([ctx]) => /from api_keys/i.test(ctx.query ?? ''))).toBe(true);
      const updates = spy.mock.calls.filter(([ctx]) => /^\s*update\b/i.test(ctx.query ?? ''));
      // At most one batched flush per 2 s may fall inside the burst; 50 requests must not mean 50 writes.
      expect(updates.length).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 2000) + 1);
    } finally {
      spy.mockRestore();
    }
    let key: { last_used_at: string | null; last_used_ip: string | null } = { last_used_at: null, last_used_ip: null };
    const deadline = Date.now() + 10_000;
    while (!key.last_used_at && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      key = (await t.http.get(`/v1/api-keys/${acct.keyId}`).set('X-API-Key', acct.key).expect(200)).body.data;
    }
    expect(key.last_used_at).not.toBeNull();
    expect(Date.parse(key.last_used_at!)).toBeGreaterThanOrEqual(started - 1000);
    expect(key.last_used_ip).toBe('127.0.0.1');
  });
});

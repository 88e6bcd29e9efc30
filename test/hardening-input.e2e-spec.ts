import type { AddressInfo } from 'node:net';
import { createAccount } from './utils/api';
import { rawRequest } from './utils/raw-http';
import { createTestApp, type TestApp } from './utils/test-app';
import { CapturedStdout } from './utils/captured-stdout';

/**
 * Input the API used to take at its word: addresses in legacy or garbage forms, ISO 8601 forms that
 * are not RFC 3339, keys in URLs, rules that never match, routes reached through odd spellings.
 * The app trusts X-Forwarded-For from loopback, as behind a proxy, so a test can choose its client IP.
 */
describe('hardened input, URLs and routing (e2e)', () => {
  let t: TestApp;
  let port: number;
  let acct: { accountId: string; key: string; keyId: string };
  const logs = new CapturedStdout();

  beforeAll(async () => {
    logs.start();
    t = await createTestApp({ TRUST_PROXY: '127.0.0.1', LOG_LEVEL: 'info' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    acct = await createAccount(t.http, t.operatorKey, { plan: 'enterprise' });
  });
  afterAll(async () => {
    await t?.close();
    logs.stop();
  });

  const as = (key: string, ip = '192.0.2.1') => ({
    get: (path: string) => t.http.get(path).set('X-API-Key', key).set('X-Forwarded-For', ip),
    post: (path: string, body?: object) => t.http.post(path).set('X-API-Key', key).set('X-Forwarded-For', ip).send(body),
    patch: (path: string, body: object) => t.http.patch(path).set('X-API-Key', key).set('X-Forwarded-For', ip).send(body),
  });
  const raw = (path: string, headers: [string, string][] = [], method = 'GET') => rawRequest(port, method, path, headers);
  const createKey = async (body: object = {}) =>
    (await as(acct.key).post('/v1/api-keys', { name: 'hardening', ...body }).expect(201)).body.data as { id: string; key: string } & Record<string, any>;
  const fields = (res: { body: { details?: { field: string }[] } }) => (res.body.details ?? []).map((d) => d.field);
  const expectInvalid = (res: { status: number; body: any }, field: string) => {
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    expect(fields(res)).toContain(field);
  };
  const lastUsedIp = async (keyId: string) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const key = (await as(acct.key).get(`/v1/api-keys/${keyId}`).expect(200)).body.data;
      if (key.last_used_at || Date.now() > deadline) return key.last_used_ip as string | null;
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  describe('client IP addresses are canonical text only', () => {
    it.each(['<script>alert(1)</script>', '0x0a010203', '167838211', '10.1', '010.1.2.3', 'fe80::1%eth0', '10.1.2.3 ', '[::1]', '10.1.2.3:80', ''])(
      'POST /v1/keys/verify refuses ip %j with 400 and details on ip',
      async (ip) => {
        const target = await createKey({ allowed_ips: ['10.0.0.0/8'] });
        expectInvalid(await as(acct.key).post('/v1/keys/verify', { key: target.key, ip }), 'ip');
      },
    );

    it('verifies canonical addresses against the rules, IPv4-mapped and upper-case IPv6 included', async () => {
      const target = await createKey({ allowed_ips: ['10.0.0.0/8', '2001:db8::/32'] });
      for (const ip of ['10.1.2.3', '::ffff:10.1.2.3', '2001:DB8::1']) {
        const res = await as(acct.key).post('/v1/keys/verify', { key: target.key, ip }).expect(200);
        expect(res.body.data).toMatchObject({ valid: true, code: null });
      }
      const outside = await as(acct.key).post('/v1/keys/verify', { key: target.key, ip: '11.0.0.1' }).expect(200);
      expect(outside.body.data).toMatchObject({ valid: false, code: 'IP_NOT_ALLOWED' });
    });

    it('stores last_used_ip from verify in its normal form', async () => {
      const mapped = await createKey();
      await as(acct.key).post('/v1/keys/verify', { key: mapped.key, ip: '::ffff:10.1.2.3' }).expect(200);
      const upper = await createKey();
      await as(acct.key).post('/v1/keys/verify', { key: upper.key, ip: '2001:DB8:0:0:0:0:0:1' }).expect(200);
      expect(await lastUsedIp(mapped.id)).toBe('10.1.2.3');
      expect(await lastUsedIp(upper.id)).toBe('2001:db8::1');
    });

    it('never reads a legacy form a trusted proxy passes on as an allowed address', async () => {
      const restricted = await createKey({ allowed_ips: ['10.0.0.0/8'] });
      await as(restricted.key, '10.1.2.3').get('/v1/me').expect(200);
      for (const ip of ['0x0a010203', '167838211', '10.1', '012.1.2.3']) {
        const res = await as(restricted.key, ip).get('/v1/me').expect(403);
        expect(res.body.code).toBe('IP_NOT_ALLOWED');
      }
    });

    it('records audit events with the client IP in its normal form, and none for garbage', async () => {
      const mapped = (await as(acct.key, '::ffff:10.1.2.3').post('/v1/api-keys', { name: 'audited' }).expect(201)).body.data;
      const garbled = (await as(acct.key, '<script>alert(1)</script>').post('/v1/api-keys', { name: 'audited' }).expect(201)).body.data;
      const ipOf = async (keyId: string) => (await as(acct.key).get(`/v1/audit-events?key_id=${keyId}&action=api_key.created`).expect(200)).body.data[0].ip;
      expect(await ipOf(mapped.id)).toBe('10.1.2.3');
      expect(await ipOf(garbled.id)).toBeNull();
    });

    it('stores no last_used_ip when a trusted proxy passes on garbage', async () => {
      const used = await createKey();
      await as(used.key, '<script>alert(1)</script>').get('/v1/me').expect(200);
      const deadline = Date.now() + 10_000;
      let key: Record<string, unknown> = {};
      while (!key.last_used_at && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        key = (await as(acct.key).get(`/v1/api-keys/${used.id}`).expect(200)).body.data;
      }
      expect(key.last_used_at).not.toBeNull();
      expect(key.last_used_ip).toBeNull();
    });
  });

  describe('dates are RFC 3339', () => {
    const BAD = ['2026-W01', '2026-W01-1', '2026-001', '20260101T000000Z', '+2026-01-01T00:00:00Z', '+002026-01-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:00:00+24:00', '2016-12-31T23:59:60Z'];

    it.each(BAD)('refuses since/until %j on the audit list, the export and usage with 400', async (date) => {
      const q = encodeURIComponent(date);
      for (const [path, field] of [
        [`/v1/audit-events?since=${q}`, 'since'],
        [`/v1/audit-events?until=${q}`, 'until'],
        [`/v1/audit-events/export?since=${q}`, 'since'],
        [`/v1/api-keys/${acct.keyId}/usage?since=${q}`, 'since'],
        [`/v1/api-keys/${acct.keyId}/usage?until=${q}`, 'until'],
      ]) {
        const res = await as(acct.key).get(path);
        expectInvalid(res, field);
      }
    });

    it.each(BAD.map((d) => d.replace('2026', '2099').replace('2016', '2099')))('refuses expires_at %j on create and patch', async (date) => {
      expectInvalid(await as(acct.key).post('/v1/api-keys', { name: 'x', expires_at: date }), 'expires_at');
      const key = await createKey();
      expectInvalid(await as(acct.key).patch(`/v1/api-keys/${key.id}`, { expires_at: date }), 'expires_at');
    });

    it('accepts RFC 3339 with fractions and offsets', async () => {
      const since = encodeURIComponent('2026-01-01T05:30:00.250+05:30');
      await as(acct.key).get(`/v1/audit-events?since=${since}&until=${encodeURIComponent('2099-01-01t00:00:00z')}`).expect(200);
      await as(acct.key).get(`/v1/api-keys/${acct.keyId}/usage?since=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString().replace('Z', '+00:00'))}`).expect(200);
      const key = await createKey({ expires_at: '2099-06-30T23:59:59.5-02:00' });
      expect(key.expires_at).toBe('2099-07-01T01:59:59.500Z');
    });
  });

  describe('keys in URLs are refused everywhere', () => {
    it.each([
      ['a repeated parameter', (k: string) => `/v1/me?foo=${k}&foo=1`],
      ['a bare key as the whole query', (k: string) => `/v1/me?${k}`],
      ['a matrix parameter in the path', (k: string) => `/v1/me;key=${k}`],
      ['a fragment from a raw client', (k: string) => `/v1/me#${k}`],
      ['a path segment', (k: string) => `/v1/api-keys/${k}`],
      ['a percent-encoded key', (k: string) => `/v1/me?x=${k.replaceAll('_', '%5F')}`],
      ['a public path', (k: string) => `/health/live?k=${k}`],
      ['the documentation', (k: string) => `/openapi.json?${k}`],
      ['an unknown path', (k: string) => `/nothing/here/${k}`],
    ])('401 for a key in %s, even with a valid key header', async (_what, url) => {
      const res = await raw(url(acct.key), [['X-API-Key', acct.key], ['X-Forwarded-For', '198.51.100.20']]);
      expect(res.status).toBe(401);
      expect(JSON.parse(res.text)).toMatchObject({ success: false, code: 'UNAUTHORIZED', error: 'API key is invalid' });
      expect(res.headers['www-authenticate']).toBeDefined();
      expect(res.text).not.toContain(acct.key);
    });

    it('still accepts ordinary query strings', async () => {
      await as(acct.key).get('/v1/api-keys?limit=5').expect(200);
      await as(acct.key).get(`/v1/audit-events?key_id=${acct.keyId}`).expect(200);
    });

    it('never writes a key from the URL into the request log', async () => {
      logs.clear();
      const key = await createKey();
      await raw(`/v1/me;key=${key.key}`, [['X-Forwarded-For', '198.51.100.21']]);
      await raw(`/v1/me#${key.key}`, [['X-Forwarded-For', '198.51.100.21']]);
      await raw(`/v1/${key.key.replaceAll('_', '%5F')}`, [['X-Forwarded-For', '198.51.100.21']]);
      const deadline = Date.now() + 2_000;
      const lines = () => logs.text.split('\n').filter((l) => l.includes('request completed') && l.includes('198.51.100.21'));
      while (lines().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(lines()).toHaveLength(3);
      const text = lines().join('\n');
      expect(text).not.toContain(key.key.slice(8));
      expect(text).toContain('"path":"/v1/me;key=[redacted]"');
      expect(text).toContain('"path":"/v1/me"');
    });
  });

  describe('budgets and the envelope follow the route, not the raw URL', () => {
    const remaining = (res: { headers: Record<string, string> }) => Number(res.headers['x-ratelimit-remaining']);

    it('counts /%6Fpenapi.json and absolute-form targets against the docs budget', async () => {
      const ip: [string, string] = ['X-Forwarded-For', '198.51.100.30'];
      const plain = await raw('/openapi.json', [ip]);
      expect(plain.status).toBe(200);
      const encoded = await raw('/%6Fpenapi.json', [ip]);
      expect(encoded.status).toBe(200);
      expect(remaining(encoded)).toBe(remaining(plain) - 1);
      const absolute = await raw(`http://127.0.0.1:${port}/openapi.json`, [ip]);
      expect(absolute.status).toBe(200);
      expect(remaining(absolute)).toBe(remaining(plain) - 2);
    });

    it('wraps an absolute-form or percent-encoded /v1 request in the envelope', async () => {
      for (const path of [`http://127.0.0.1:${port}/v1/me`, '/v1/%6De']) {
        const res = await raw(path, [['X-API-Key', acct.key], ['X-Forwarded-For', '198.51.100.31']]);
        expect(res.status).toBe(200);
        expect(JSON.parse(res.text)).toMatchObject({ success: true, data: { account: { id: acct.accountId } } });
      }
    });

    it('treats /%68ealth/live as the public route it reaches: a made-up key there is not judged', async () => {
      const madeUp = `lk_live_${'Z9y8X7w6V5'.repeat(4)}abcdefgh`;
      const res = await raw('/%68ealth/live', [['X-API-Key', madeUp], ['X-Forwarded-For', '198.51.100.32']]);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({ success: true });
    });

    it('counts requests for unknown paths against the client IP, which then gets 429s', async () => {
      const scanner = '198.51.100.40';
      const first = await t.http.get('/v1/nothing-0').set('X-Forwarded-For', scanner).expect(404);
      expect(first.body).toMatchObject({ success: false, code: 'NOT_FOUND' });
      const budget = remaining(first);
      expect(budget).toBeGreaterThan(0);
      const second = await t.http.get('/admin.php').set('X-Forwarded-For', scanner).set('X-API-Key', acct.key).expect(404);
      expect(remaining(second)).toBe(budget - 1);
      for (let sent = 0; sent < budget - 1; sent += 50) {
        await Promise.all(Array.from({ length: Math.min(50, budget - 1 - sent) }, (_, i) => t.http.get(`/.env${sent + i}`).set('X-Forwarded-For', scanner).expect(404)));
      }
      const limited = await t.http.get('/wp-login.php').set('X-Forwarded-For', scanner).expect(429);
      expect(limited.body.code).toBe('RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Another client is not affected, nor are existing routes for this one's keys.
      await t.http.get('/v1/nothing-0').set('X-Forwarded-For', '198.51.100.41').expect(404);
      await as(acct.key, scanner).get('/v1/me').expect(200);
    });
  });

  describe('rules that would never match, or match too much, are refused or normalised', () => {
    it('stores an IPv4-mapped rule as the IPv4 rule it is, and matches IPv4 clients with it', async () => {
      const key = await createKey({ allowed_ips: ['::ffff:10.0.0.0/104', '10.1.2.3/16'] });
      expect(key.allowed_ips).toEqual(['10.0.0.0/8', '10.1.0.0/16']);
      await as(key.key, '10.9.9.9').get('/v1/me').expect(200);
      await as(key.key, '11.0.0.1').get('/v1/me').expect(403);
    });

    it('lets ::/0 match every client, IPv4 ones through their mapped form', async () => {
      const key = await createKey({ allowed_ips: ['::/0'] });
      await as(key.key, '203.0.113.9').get('/v1/me').expect(200);
      await as(key.key, '2001:db8::9').get('/v1/me').expect(200);
    });

    it.each([['fe80::1%eth0'], ['fe80::/10%eth0'], ['0x0a000000/8'], ['10.0.0.0/33'], ['10.0.0.0/08']])('refuses the IP rule %j', async (rule) => {
      expectInvalid(await as(acct.key).post('/v1/api-keys', { name: 'x', allowed_ips: [rule] }), 'allowed_ips');
    });

    it('stores a referrer without its default port, so it matches what browsers send', async () => {
      const key = await createKey({ allowed_referrers: ['https://example.com:443', 'HTTP://Local.Example.org:80', 'https://example.net:8443'] });
      expect(key.allowed_referrers).toEqual(['https://example.com', 'http://local.example.org', 'https://example.net:8443']);
      await as(key.key).get('/v1/me').set('Origin', 'https://example.com').expect(200);
      await as(key.key).get('/v1/me').set('Origin', 'http://local.example.org').expect(200);
      await as(key.key).get('/v1/me').set('Origin', 'https://example.net').expect(403);
    });

    it.each([['https://example.com:99999'], ['https://example.com:0'], ['https://example.com:65536'], ['https://*.com'], ['https://*.co.uk'], ['https://*.github.io']])(
      'refuses the referrer pattern %j, on create and on patch',
      async (pattern) => {
        expectInvalid(await as(acct.key).post('/v1/api-keys', { name: 'x', allowed_referrers: [pattern] }), 'allowed_referrers');
        const key = await createKey();
        expectInvalid(await as(acct.key).patch(`/v1/api-keys/${key.id}`, { allowed_referrers: [pattern] }), 'allowed_referrers');
      },
    );

    it('accepts wildcards below a registrable domain', async () => {
      const key = await createKey({ allowed_referrers: ['https://*.example.com', 'https://*.example.co.uk', 'https://*.me.github.io'] });
      await as(key.key).get('/v1/me').set('Origin', 'https://a.me.github.io').expect(200);
    });

    it.each([['   '], ['\t\n'], ['\u3000'], ['\u200b'], ['\u00a0\u00a0']])('refuses the name %j for keys, accounts and plans', async (name) => {
      const op = as(t.operatorKey);
      expectInvalid(await as(acct.key).post('/v1/api-keys', { name }), 'name');
      expectInvalid(await as(acct.key).patch(`/v1/api-keys/${acct.keyId}`, { name }), 'name');
      expectInvalid(await op.post('/v1/admin/accounts', { name, email: 'blank@acme.test', plan: 'pro' }), 'name');
      expectInvalid(await op.patch(`/v1/admin/accounts/${acct.accountId}`, { name }), 'name');
      const plan = { api_access: true, max_keys: null, rate_limit_per_minute: 60, rate_limit_per_hour: 1000 };
      expectInvalid(await op.post('/v1/admin/plans', { slug: 'blank', name, ...plan }), 'name');
      expectInvalid(await op.patch('/v1/admin/plans/pro', { name }), 'name');
      // A visible character anywhere is enough.
      await as(acct.key).post('/v1/api-keys', { name: `${name}x` }).expect(201);
    });
  });
});

import { createLatchkeyClient, type LatchkeyClient, type Middleware, type Schemas } from '@latchkey/sdk';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createTestApp, type TestApp } from './utils/test-app';

/**
 * The key lifecycle driven only through the SDK package (packages/sdk, typed from the committed
 * openapi.json): if the document drifts from what the service does, this file stops compiling or fails.
 */

type Api = LatchkeyClient;

/** The committed document, to check that every status the service answers with is declared. */
const document = JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
};
const undeclared: string[] = [];
const declaredStatusesOnly: Middleware = {
  onResponse({ request, response, schemaPath }) {
    const operation = document.paths[schemaPath]?.[request.method.toLowerCase()];
    if (!operation?.responses[String(response.status)]) undeclared.push(`${request.method} ${schemaPath} answered ${response.status}`);
  },
};

/**
 * Every field of the generated type, listed so that the compiler checks the list against the type
 * (a missing or extra name does not compile) and the test checks real bodies against the list.
 */
const fields = <T extends object>(shape: Record<keyof T, true>) => Object.keys(shape).sort();
const API_KEY_FIELDS = fields<Schemas['ApiKeyDto']>({
  id: true, name: true, prefix: true, last4: true, environment: true, status: true, scopes: true, allowed_ips: true,
  allowed_referrers: true, metadata: true, created_at: true, updated_at: true, expires_at: true, last_used_at: true,
  last_used_ip: true, revoked_at: true,
});
const API_KEY_WITH_SECRET_FIELDS = fields<Schemas['ApiKeyWithSecretDto']>({
  id: true, name: true, prefix: true, last4: true, environment: true, status: true, scopes: true, allowed_ips: true,
  allowed_referrers: true, metadata: true, created_at: true, updated_at: true, expires_at: true, last_used_at: true,
  last_used_ip: true, revoked_at: true, key: true,
});
const sortedKeys = (value: object) => Object.keys(value).sort();

describe('key lifecycle through the generated SDK (e2e)', () => {
  let t: TestApp;
  let baseUrl: string;
  /** The operator, the account's first key sent as X-API-Key, and the same key sent as Bearer. */
  let operator: Api;
  let owner: Api;
  let ownerBearer: Api;
  let account: Schemas['AccountDto'];
  let firstKey: Schemas['ApiKeyWithSecretDto'];
  let created: Schemas['ApiKeyWithSecretDto'];
  let secret: string;

  const client = (options: { apiKey?: string; headers?: Record<string, string> }): Api => {
    const api = createLatchkeyClient({ baseUrl, ...options });
    api.use(declaredStatusesOnly);
    return api;
  };
  const withHeader = (apiKey: string) => client({ apiKey });
  const withBearer = (key: string) => client({ headers: { Authorization: `Bearer ${key}` } });
  const keyPath = () => ({ params: { path: { id: created.id } } });

  beforeAll(async () => {
    t = await createTestApp();
    baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    operator = withHeader(t.operatorKey);
  });
  afterAll(() => t.close());

  it('creates an account with the operator key; its first key is returned once', async () => {
    // Enterprise: the Pro plan's 60 requests a minute would be close to what this file sends.
    // Optional fields (status, environment, active...) are left out: the generated types allow it.
    const { data, error, response } = await operator.POST('/v1/admin/accounts', {
      body: { name: 'SDK Inc.', email: 'sdk@example.test', plan: 'enterprise' },
    });
    expect(error).toBeUndefined();
    expect(response.status).toBe(201);
    expect(data!.success).toBe(true);
    account = data!.data.account;
    firstKey = data!.data.api_key;
    expect(account).toMatchObject({ name: 'SDK Inc.', email: 'sdk@example.test', plan: 'enterprise', status: 'active' });
    expect(sortedKeys(firstKey)).toEqual(API_KEY_WITH_SECRET_FIELDS);
    expect(firstKey).toMatchObject({ name: 'Default key', environment: 'live', status: 'active', scopes: ['*'] });
    expect(firstKey.key.startsWith(firstKey.prefix)).toBe(true);
    owner = withHeader(firstKey.key);
    ownerBearer = withBearer(firstKey.key);
  });

  it('GET /v1/me answers the same for X-API-Key and Bearer', async () => {
    for (const api of [owner, ownerBearer]) {
      const { data, error, response } = await api.GET('/v1/me');
      expect(error).toBeUndefined();
      expect(response.status).toBe(200);
      expect(data!.data.account).toEqual({ id: account.id, name: 'SDK Inc.', email: 'sdk@example.test', plan: 'enterprise' });
      expect(data!.data.key).toEqual({ id: firstKey.id, name: 'Default key', environment: 'live', scopes: ['*'] });
    }
    const anonymous = await client({}).GET('/v1/me');
    expect(anonymous.response.status).toBe(401);
    expect(anonymous.error?.code).toBe('UNAUTHORIZED');
  });

  it('creates a key: 201 with the secret', async () => {
    const { data, error, response } = await ownerBearer.POST('/v1/api-keys', {
      body: { name: 'SDK key', scopes: ['keys:read', 'keys:verify'], metadata: { team: 'sdk' } },
    });
    expect(error).toBeUndefined();
    expect(response.status).toBe(201);
    created = data!.data;
    secret = created.key;
    expect(sortedKeys(created)).toEqual(API_KEY_WITH_SECRET_FIELDS);
    expect(created).toMatchObject({
      name: 'SDK key',
      prefix: 'lk_live_',
      environment: 'live',
      status: 'active',
      scopes: ['keys:read', 'keys:verify'],
      allowed_ips: [],
      allowed_referrers: [],
      metadata: { team: 'sdk' },
      expires_at: null,
      last_used_at: null,
      last_used_ip: null,
      revoked_at: null,
    });
    expect(secret.startsWith('lk_live_')).toBe(true);
    expect(created.last4).toBe(secret.slice(-4));
    const me = await withBearer(secret).GET('/v1/me');
    expect(me.data?.data.key?.id).toBe(created.id);
    // The new key holds keys:read and keys:verify only: creating keys is beyond it.
    const narrow = await withHeader(secret).POST('/v1/api-keys', { body: { name: 'wider' } });
    expect(narrow.response.status).toBe(403);
    expect(narrow.error?.code).toBe('INSUFFICIENT_SCOPE');
  });

  it('lists keys masked, newest first, and gets one', async () => {
    const list = await owner.GET('/v1/api-keys', { params: { query: { limit: 100 } } });
    expect(list.error).toBeUndefined();
    expect(list.response.status).toBe(200);
    expect(list.data!.next_cursor).toBeNull();
    expect(list.data!.data.map((k) => k.id)).toEqual([created.id, firstKey.id]);
    for (const k of list.data!.data) {
      expect(sortedKeys(k)).toEqual(API_KEY_FIELDS);
      expect('key' in k).toBe(false);
    }
    // The masked key is the created one without the secret (last use is recorded in the background).
    const { key: _secret, last_used_at: _at, last_used_ip: _ip, ...masked } = created;
    expect(list.data!.data[0]).toMatchObject(masked);

    const one = await owner.GET('/v1/api-keys/{id}', keyPath());
    expect(one.response.status).toBe(200);
    expect(sortedKeys(one.data!.data)).toEqual(API_KEY_FIELDS);
    // last_used_* may be written between the two reads.
    expect(one.data!.data).toEqual({ ...list.data!.data[0], last_used_at: one.data!.data.last_used_at, last_used_ip: one.data!.data.last_used_ip });
  });

  it('patches the name and metadata', async () => {
    const { data, error, response } = await owner.PATCH('/v1/api-keys/{id}', {
      ...keyPath(),
      body: { name: 'SDK key (renamed)', metadata: { team: 'sdk', tier: 2 } },
    });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(sortedKeys(data!.data)).toEqual(API_KEY_FIELDS);
    expect(data!.data).toMatchObject({ id: created.id, name: 'SDK key (renamed)', metadata: { team: 'sdk', tier: 2 }, scopes: created.scopes });
    const invalid = await owner.PATCH('/v1/api-keys/{id}', { ...keyPath(), body: { name: '' } });
    expect(invalid.response.status).toBe(400);
    expect(invalid.error).toMatchObject({ success: false, code: 'VALIDATION_FAILED', details: expect.arrayContaining([expect.objectContaining({ field: 'name' })]) });
  });

  it('deactivates (the key is refused at once: 401 API_KEY_INACTIVE) and activates again', async () => {
    const off = await owner.POST('/v1/api-keys/{id}/deactivate', keyPath());
    expect(off.response.status).toBe(200);
    expect(off.data!.data.status).toBe('inactive');
    for (const api of [withHeader(secret), withBearer(secret)]) {
      const refused = await api.GET('/v1/me');
      expect(refused.data).toBeUndefined();
      expect(refused.response.status).toBe(401);
      expect(refused.response.headers.get('www-authenticate')).toBeTruthy();
      expect(refused.error).toEqual({ success: false, error: 'This API key is inactive.', code: 'API_KEY_INACTIVE', request_id: expect.any(String) });
    }

    const on = await ownerBearer.POST('/v1/api-keys/{id}/activate', keyPath());
    expect(on.response.status).toBe(200);
    expect(on.data!.data.status).toBe('active');
    expect((await withHeader(secret).GET('/v1/me')).response.status).toBe(200);
  });

  it('regenerates with a grace period: same id, new secret, both secrets work meanwhile', async () => {
    const { data, error, response } = await owner.POST('/v1/api-keys/{id}/regenerate', { ...keyPath(), body: { grace_period_seconds: 300 } });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(sortedKeys(data!.data)).toEqual(API_KEY_WITH_SECRET_FIELDS);
    expect(data!.data).toMatchObject({ id: created.id, name: 'SDK key (renamed)', status: 'active', metadata: { team: 'sdk', tier: 2 } });
    const fresh = data!.data.key;
    expect(fresh).not.toBe(secret);
    expect(data!.data.last4).toBe(fresh.slice(-4));
    expect((await withHeader(secret).GET('/v1/me')).response.status).toBe(200);
    expect((await withBearer(fresh).GET('/v1/me')).response.status).toBe(200);
    secret = fresh;
  });

  it('verifies keys via POST /v1/keys/verify (always 200; `valid` and `code` tell)', async () => {
    const ok = await owner.POST('/v1/keys/verify', { body: { key: secret } });
    expect(ok.error).toBeUndefined();
    expect(ok.response.status).toBe(200);
    const verdict: Schemas['VerifyKeyResultDto'] = ok.data!.data;
    expect(verdict).toEqual({
      valid: true,
      code: null,
      account_id: account.id,
      key_id: created.id,
      environment: 'live',
      scopes: ['keys:read', 'keys:verify'],
    });
    // The key verifying itself (it holds keys:verify), over Bearer.
    const self = await withBearer(secret).POST('/v1/keys/verify', { body: { key: secret } });
    expect(self.data?.data.valid).toBe(true);

    const unknown = await ownerBearer.POST('/v1/keys/verify', { body: { key: 'lk_live_notARealKey' } });
    expect(unknown.response.status).toBe(200);
    expect(unknown.data!.data).toEqual({ valid: false, code: 'UNAUTHORIZED', account_id: null, key_id: null, environment: null, scopes: [] });
  });

  it('reports usage per hour, counting the key\'s requests by status class', async () => {
    // Counts are written in batches every couple of seconds: wait for this key's to land.
    let usage: Schemas['UsageDto'] | undefined;
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { data, response } = await owner.GET('/v1/api-keys/{id}/usage', { params: { path: { id: created.id }, query: { granularity: 'hour' } } });
      expect(response.status).toBe(200);
      usage = data!.data;
      const landed = usage.buckets.some((b) => b.count_2xx > 0) && usage.buckets.some((b) => b.count_4xx > 0);
      if (landed || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(usage.key_id).toBe(created.id);
    expect(usage.granularity).toBe('hour');
    expect(usage.buckets.length).toBeGreaterThanOrEqual(24);
    for (const bucket of usage.buckets) expect(sortedKeys(bucket)).toEqual(['count_2xx', 'count_4xx', 'count_5xx', 'start']);
    expect(usage.buckets.reduce((n, b) => n + b.count_2xx, 0)).toBeGreaterThanOrEqual(1);
    expect(usage.buckets.reduce((n, b) => n + b.count_4xx, 0)).toBeGreaterThanOrEqual(1); // the 403 when it tried to create a key
  });

  it('lists the key\'s audit events, newest first, in the acting key\'s name', async () => {
    const { data, error, response } = await ownerBearer.GET('/v1/audit-events', { params: { query: { key_id: created.id, limit: 100 } } });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(data!.next_cursor).toBeNull();
    // The refusals while it was inactive are logged too, as auth.failed in per-minute batches
    // written when the minute is over: whether they are in yet depends on the clock.
    const events = data!.data.filter((e) => e.action !== 'auth.failed');
    expect(events.map((e) => e.action)).toEqual([
      'api_key.regenerated', 'api_key.activated', 'api_key.deactivated', 'api_key.updated', 'api_key.created',
    ]);
    for (const event of events) {
      expect(event).toMatchObject({ account_id: account.id, actor: { type: 'api_key', id: firstKey.id }, target: { type: 'api_key', id: created.id } });
    }
    expect(events.find((e) => e.action === 'api_key.updated')!.changes).toMatchObject({ name: { before: 'SDK key', after: 'SDK key (renamed)' } });
    const chain = await owner.GET('/v1/audit-events/verify');
    expect(chain.data!.data).toMatchObject({ ok: true, first_broken_event_id: null });
  });

  it('revokes: the key is refused with 401 API_KEY_REVOKED', async () => {
    const { data, response } = await owner.POST('/v1/api-keys/{id}/revoke', keyPath());
    expect(response.status).toBe(200);
    expect(data!.data).toMatchObject({ id: created.id, status: 'revoked', revoked_at: expect.any(String) });
    const refused = await withHeader(secret).GET('/v1/me');
    expect(refused.response.status).toBe(401);
    expect(refused.error).toMatchObject({ code: 'API_KEY_REVOKED', error: 'This API key has been revoked.' });
    const verdict = await owner.POST('/v1/keys/verify', { body: { key: secret } });
    expect(verdict.data!.data).toMatchObject({ valid: false, code: 'API_KEY_REVOKED' });
  });

  it('deletes: "API key revoked successfully", then the key is not found', async () => {
    const { data, error, response } = await ownerBearer.DELETE('/v1/api-keys/{id}', keyPath());
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(data).toEqual({ success: true, message: 'API key revoked successfully' });
    const gone = await owner.GET('/v1/api-keys/{id}', keyPath());
    expect(gone.response.status).toBe(404);
    expect(gone.error?.code).toBe('NOT_FOUND');
    const unknown = await withHeader(secret).GET('/v1/me');
    expect(unknown.error?.code).toBe('UNAUTHORIZED');
  });

  it('got only responses the document declares for each operation', () => {
    expect(undeclared).toEqual([]);
  });
});

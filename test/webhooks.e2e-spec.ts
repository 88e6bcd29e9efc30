import { Webhook } from 'standardwebhooks';
import { createAccount } from './utils/api';
import { createWebhookTestApp, eventually, FAST_DELIVERY, Receiver, type WebhookTestApp } from './webhooks-support';

/** Endpoints API, the outbox written with each change, and signed delivery to a real receiver on loopback. */
describe('webhooks: endpoints, events and signatures (e2e)', () => {
  let t: WebhookTestApp;
  let receiver: Receiver;
  let alice: { accountId: string; key: string; keyId: string };
  let bob: { accountId: string; key: string; keyId: string };

  const as = (key: string) => ({
    get: (path: string) => t.http.get(path).set('X-API-Key', key),
    post: (path: string, body?: object) => t.http.post(path).set('X-API-Key', key).send(body ?? {}),
    patch: (path: string, body: object) => t.http.patch(path).set('X-API-Key', key).send(body),
    delete: (path: string) => t.http.delete(path).set('X-API-Key', key),
  });
  const sql = async (text: string, params: unknown[] = []) => {
    const result = await t.orm.em.getConnection().execute(text, params);
    return result as any[];
  };
  const addEndpoint = async (key: string, body: object = {}) => {
    const res = await as(key).post('/v1/webhook-endpoints', { url: receiver.url, ...body }).expect(201);
    return res.body.data as { id: string; secret: string; event_types: string[] };
  };

  beforeAll(async () => {
    t = await createWebhookTestApp(FAST_DELIVERY, { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    receiver = await Receiver.start();
    alice = await createAccount(t.http, t.operatorKey, { name: 'Alice', email: 'alice@hooks.test', plan: 'enterprise' });
    bob = await createAccount(t.http, t.operatorKey, { name: 'Bob', email: 'bob@hooks.test', plan: 'enterprise' });
  });

  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  beforeEach(async () => {
    await sql('delete from webhook_endpoints');
    receiver.receipts.length = 0;
    receiver.answer = (_r, _n, res) => res.writeHead(200).end('ok');
  });

  describe('endpoints API', () => {
    it('creates an endpoint with every event type and a secret shown once, encrypted at rest', async () => {
      const res = await as(alice.key).post('/v1/webhook-endpoints', { url: receiver.url, description: 'CRM sync' }).expect(201);
      const { secret, ...endpoint } = res.body.data;
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
      expect(endpoint).toEqual({
        id: expect.stringMatching(/^we_[0-9A-Za-z]{22}$/),
        url: receiver.url,
        description: 'CRM sync',
        event_types: [
          'api_key.created', 'api_key.updated', 'api_key.activated', 'api_key.deactivated', 'api_key.regenerated', 'api_key.revoked',
          'api_key.deleted', 'api_key.expiring', 'api_key.expired', 'api_key.leaked', 'account.updated', 'webhook.test',
        ],
        status: 'enabled',
        disabled_reason: null,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      const one = await as(alice.key).get(`/v1/webhook-endpoints/${endpoint.id}`).expect(200);
      expect(one.body.data).toEqual(endpoint);
      const list = await as(alice.key).get('/v1/webhook-endpoints').expect(200);
      expect(list.body).toEqual({ success: true, data: [endpoint], next_cursor: null });
      const [row] = await sql('select * from webhook_endpoints where id = ?', [endpoint.id]);
      expect(JSON.stringify(row)).not.toContain(secret.slice(6));
      const audit = await as(alice.key).get('/v1/audit-events?action=webhook_endpoint.created').expect(200);
      expect(audit.body.data).toHaveLength(1);
      expect(audit.body.data[0].target).toEqual({ type: 'webhook_endpoint', id: endpoint.id });
      expect(JSON.stringify(audit.body.data)).not.toContain(secret.slice(6));
    });

    it('refuses unknown event types, an empty list and unknown fields with field details', async () => {
      const bad = await as(alice.key).post('/v1/webhook-endpoints', { url: receiver.url, event_types: ['api_key.created', 'key.exploded'] }).expect(400);
      expect(bad.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED', details: [{ field: 'event_types', message: expect.stringContaining('api_key.created') }] });
      await as(alice.key).post('/v1/webhook-endpoints', { url: receiver.url, event_types: [] }).expect(400);
      const extra = await as(alice.key).post('/v1/webhook-endpoints', { url: receiver.url, secret: 'whsec_mine' }).expect(400);
      expect(extra.body.details[0].field).toBe('secret');
      const noUrl = await as(alice.key).post('/v1/webhook-endpoints', {}).expect(400);
      expect(noUrl.body.details.map((d: { field: string }) => d.field)).toContain('url');
      const creds = await as(alice.key).post('/v1/webhook-endpoints', { url: `http://user:pw@127.0.0.1:${receiver.port}/` }).expect(400);
      expect(creds.body.details).toEqual([{ field: 'url', message: 'url must not carry a user name or password' }]);
      await as(alice.key).post('/v1/webhook-endpoints', { url: 'ftp://example.com/' }).expect(400);
      await as(alice.key).post('/v1/webhook-endpoints', { url: `https://example.com/${'a'.repeat(2100)}` }).expect(400);
    });

    it('updates, disables, re-enables and deletes, auditing each change', async () => {
      const endpoint = await addEndpoint(alice.key);
      const changed = await as(alice.key)
        .patch(`/v1/webhook-endpoints/${endpoint.id}`, { description: 'new', event_types: ['api_key.revoked'], status: 'disabled' })
        .expect(200);
      expect(changed.body.data).toMatchObject({ description: 'new', event_types: ['api_key.revoked'], status: 'disabled', disabled_reason: null });
      expect(changed.body.data.secret).toBeUndefined();
      const enabled = await as(alice.key).patch(`/v1/webhook-endpoints/${endpoint.id}`, { status: 'enabled' }).expect(200);
      expect(enabled.body.data.status).toBe('enabled');
      await as(alice.key).patch(`/v1/webhook-endpoints/${endpoint.id}`, { status: 'paused' }).expect(400);
      const gone = await as(alice.key).delete(`/v1/webhook-endpoints/${endpoint.id}`).expect(200);
      expect(gone.body).toEqual({ success: true, message: 'Webhook endpoint deleted' });
      await as(alice.key).get(`/v1/webhook-endpoints/${endpoint.id}`).expect(404);
      const audit = await as(alice.key).get(`/v1/audit-events?key_id=${endpoint.id}`);
      const actions = (await as(alice.key).get('/v1/audit-events?limit=100').expect(200)).body.data
        .filter((e: { target: { id: string } }) => e.target.id === endpoint.id)
        .map((e: { action: string }) => e.action);
      expect(audit.status).toBeLessThan(500);
      expect(actions).toEqual(['webhook_endpoint.deleted', 'webhook_endpoint.updated', 'webhook_endpoint.updated', 'webhook_endpoint.created']);
    });

    it('pages endpoints newest first with a cursor, and holds an account to 20 endpoints', async () => {
      const made: string[] = [];
      for (let i = 0; i < 20; i++) made.push((await addEndpoint(alice.key, { description: `n${i}` })).id);
      const full = await as(alice.key).post('/v1/webhook-endpoints', { url: receiver.url }).expect(409);
      expect(full.body).toMatchObject({ code: 'CONFLICT', error: 'An account can have at most 20 webhook endpoints; delete one first.' });
      const first = await as(alice.key).get('/v1/webhook-endpoints?limit=15').expect(200);
      const second = await as(alice.key).get(`/v1/webhook-endpoints?limit=15&cursor=${first.body.next_cursor}`).expect(200);
      expect(second.body.next_cursor).toBeNull();
      expect([...first.body.data, ...second.body.data].map((e: { id: string }) => e.id)).toEqual([...made].reverse());
    });
  });

  describe('who may use them', () => {
    it('refuses test keys (403 ENVIRONMENT_MISMATCH), enforces scopes, and shows other accounts\' ids as 404', async () => {
      const testKey = (await as(alice.key).post('/v1/api-keys', { name: 'test', environment: 'test' }).expect(201)).body.data.key;
      for (const res of [
        await as(testKey).post('/v1/webhook-endpoints', { url: receiver.url }),
        await as(testKey).get('/v1/webhook-endpoints'),
        await as(testKey).get('/v1/events'),
      ]) {
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('ENVIRONMENT_MISMATCH');
      }
      const reader = (await as(alice.key).post('/v1/api-keys', { name: 'reader', scopes: ['webhooks:read'] }).expect(201)).body.data.key;
      const keysOnly = (await as(alice.key).post('/v1/api-keys', { name: 'keys', scopes: ['keys:read', 'keys:write'] }).expect(201)).body.data.key;
      const endpoint = await addEndpoint(alice.key);
      await as(reader).get(`/v1/webhook-endpoints/${endpoint.id}`).expect(200);
      await as(reader).get('/v1/events').expect(200);
      for (const res of [
        await as(reader).post('/v1/webhook-endpoints', { url: receiver.url }),
        await as(reader).patch(`/v1/webhook-endpoints/${endpoint.id}`, { description: 'x' }),
        await as(reader).post(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`),
        await as(reader).delete(`/v1/webhook-endpoints/${endpoint.id}`),
        await as(keysOnly).get('/v1/webhook-endpoints'),
        await as(keysOnly).get('/v1/events'),
      ]) {
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('INSUFFICIENT_SCOPE');
      }
      await receiver.waitFor(0);
      const [delivery] = await eventually(async () => {
        await as(alice.key).post(`/v1/webhook-endpoints/${endpoint.id}/test`).expect(200);
        return (await as(alice.key).get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`)).body.data;
      });
      for (const res of [
        await as(bob.key).get(`/v1/webhook-endpoints/${endpoint.id}`),
        await as(bob.key).patch(`/v1/webhook-endpoints/${endpoint.id}`, { description: 'mine now' }),
        await as(bob.key).delete(`/v1/webhook-endpoints/${endpoint.id}`),
        await as(bob.key).post(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`),
        await as(bob.key).post(`/v1/webhook-endpoints/${endpoint.id}/test`),
        await as(bob.key).get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`),
        await as(bob.key).get(`/v1/webhook-deliveries/${delivery.id}`),
        await as(bob.key).post(`/v1/webhook-deliveries/${delivery.id}/retry`),
        await as(bob.key).get(`/v1/events/${delivery.event_id}`),
        await as(alice.key).get('/v1/webhook-endpoints/we_nope'),
      ]) {
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('NOT_FOUND');
      }
      expect((await as(bob.key).get('/v1/webhook-endpoints').expect(200)).body.data).toEqual([]);
      expect((await as(bob.key).get('/v1/events').expect(200)).body.data.map((e: { id: string }) => e.id)).not.toContain(delivery.event_id);
    });
  });

  it('refuses a secret in its grace period to manage endpoints, though it may read them', async () => {
    const k = (await as(alice.key).post('/v1/api-keys', { name: 'rotating' }).expect(201)).body.data;
    await as(alice.key).post(`/v1/api-keys/${k.id}/regenerate`, { grace_period_seconds: 300 }).expect(200);
    const refused = await as(k.key).post('/v1/webhook-endpoints', { url: receiver.url }).expect(403);
    expect(refused.body.code).toBe('INSUFFICIENT_SCOPE');
    await as(k.key).get('/v1/webhook-endpoints').expect(200);
  });

  it('lets a console session manage endpoints, audited as its user', async () => {
    const made = await t.http
      .post(`/v1/admin/accounts/${alice.accountId}/portal-sessions`)
      .set('X-API-Key', t.operatorKey)
      .send({ user: { id: 'user_hooks' } })
      .expect(201);
    const code = /#code=(pst_[0-9A-Za-z]+)$/.exec(made.body.data.url)![1];
    const redeemed = await t.http.post('/v1/portal/redeem').set('Sec-Fetch-Site', 'same-origin').send({ code }).expect(200);
    const cookie = [redeemed.headers['set-cookie']].flat().find((c) => c?.startsWith('lk_session='))!.split(';')[0];
    const created = await t.http.post('/v1/webhook-endpoints').set('Cookie', cookie).set('Sec-Fetch-Site', 'same-origin').send({ url: receiver.url }).expect(201);
    expect(created.body.data.secret).toMatch(/^whsec_/);
    await t.http.get('/v1/webhook-endpoints').set('Cookie', cookie).expect(200);
    const audit = (await as(alice.key).get('/v1/audit-events?action=webhook_endpoint.created').expect(200)).body.data;
    expect(audit[0]).toMatchObject({ actor: { type: 'user', id: 'user_hooks' }, target: { id: created.body.data.id } });
  });

  describe('events', () => {
    it('sends every key and account event, signed, verifying with the standardwebhooks library', async () => {
      const endpoint = await addEndpoint(alice.key);
      const wh = new Webhook(endpoint.secret);
      const me = as(alice.key);
      const created = (await me.post('/v1/api-keys', { name: 'Hooked', metadata: { team: 'a' } }).expect(201)).body.data;
      await me.patch(`/v1/api-keys/${created.id}`, { name: 'Hooked 2' }).expect(200);
      await me.post(`/v1/api-keys/${created.id}/deactivate`).expect(200);
      await me.post(`/v1/api-keys/${created.id}/activate`).expect(200);
      const regenerated = (await me.post(`/v1/api-keys/${created.id}/regenerate`).expect(200)).body.data;
      await me.post(`/v1/api-keys/${created.id}/revoke`).expect(200);
      const doomed = (await me.post('/v1/api-keys', { name: 'Doomed', environment: 'test' }).expect(201)).body.data;
      await me.delete(`/v1/api-keys/${doomed.id}`).expect(200);
      await t.http.patch(`/v1/admin/accounts/${alice.accountId}`).set('X-API-Key', t.operatorKey).send({ name: 'Alice Ltd' }).expect(200);
      await me.post(`/v1/webhook-endpoints/${endpoint.id}/test`).expect(200);

      await receiver.waitFor(10);
      const byType = new Map<string, { payload: any; headers: Record<string, unknown> }>();
      for (const r of receiver.receipts) {
        const payload = wh.verify(r.body, r.headers as Record<string, string>) as any;
        expect(r.headers['webhook-id']).toBe(payload.id);
        expect(r.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
        expect(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
        expect(r.headers['content-type']).toBe('application/json');
        expect(r.headers['user-agent']).toMatch(/^Latchkey-Webhooks\//);
        expect(r.body).not.toContain(created.key);
        expect(r.body).not.toContain(regenerated.key);
        expect(r.body).not.toMatch(/secret_?hash/i);
        if (payload.type !== 'api_key.created' || payload.data.object.id === created.id) byType.set(payload.type, { payload, headers: r.headers });
      }
      expect([...byType.keys()].sort()).toEqual([
        'account.updated', 'api_key.activated', 'api_key.created', 'api_key.deactivated', 'api_key.deleted',
        'api_key.regenerated', 'api_key.revoked', 'api_key.updated', 'webhook.test',
      ]);
      const { key: _secret, ...createdObject } = created;
      expect(byType.get('api_key.created')!.payload).toEqual({
        id: expect.stringMatching(/^msg_[0-9A-Za-z]{22}$/),
        type: 'api_key.created',
        timestamp: expect.any(String),
        data: { object: createdObject, environment: 'live' },
      });
      const updated = byType.get('api_key.updated')!.payload.data;
      expect(updated.object.name).toBe('Hooked 2');
      expect(updated.previous_attributes).toMatchObject({ name: 'Hooked' });
      expect(byType.get('api_key.deactivated')!.payload.data.previous_attributes).toEqual({ status: 'active' });
      const revoked = (await me.get(`/v1/api-keys/${created.id}`).expect(200)).body.data;
      expect(byType.get('api_key.revoked')!.payload.data.object).toEqual(revoked);
      expect(byType.get('api_key.deleted')!.payload.data).toMatchObject({ object: { id: doomed.id, name: 'Doomed' }, environment: 'test' });
      expect(byType.get('account.updated')!.payload.data).toMatchObject({
        object: { id: alice.accountId, name: 'Alice Ltd' },
        previous_attributes: { name: 'Alice' },
        environment: null,
      });
      expect(byType.get('webhook.test')!.payload.data.object).toMatchObject({ id: endpoint.id, url: receiver.url });

      // The same events, newest first, for a consumer catching up.
      const events = (await me.get('/v1/events?limit=100').expect(200)).body.data;
      const ids = receiver.events().map((e) => e.id);
      for (const id of ids) expect(events.map((e: { id: string }) => e.id)).toContain(id);
      expect(events[0].type).toBe('webhook.test');
      const one = await me.get(`/v1/events/${byType.get('api_key.created')!.payload.id}`).expect(200);
      expect(one.body.data).toEqual(byType.get('api_key.created')!.payload);
      const page = await me.get('/v1/events?limit=2').expect(200);
      const next = await me.get(`/v1/events?limit=2&cursor=${page.body.next_cursor}`).expect(200);
      expect([...page.body.data, ...next.body.data].map((e: { id: string }) => e.id)).toEqual(events.slice(0, 4).map((e: { id: string }) => e.id));

      // Each delivery is listed for the endpoint.
      const deliveries = (await me.get(`/v1/webhook-endpoints/${endpoint.id}/deliveries?limit=100`).expect(200)).body.data;
      expect(deliveries).toHaveLength(10);
      await eventually(async () => {
        const all = (await me.get(`/v1/webhook-endpoints/${endpoint.id}/deliveries?limit=100`).expect(200)).body.data;
        return all.every((d: { status: string }) => d.status === 'succeeded') && all;
      });
      const [latest] = (await me.get(`/v1/webhook-endpoints/${endpoint.id}/deliveries?limit=1`).expect(200)).body.data;
      expect(latest).toEqual({
        id: expect.stringMatching(/^whd_[0-9a-f]{32}$/),
        event_id: byType.get('webhook.test')!.payload.id,
        event_type: 'webhook.test',
        endpoint_id: endpoint.id,
        status: 'succeeded',
        attempts: 1,
        response_status: 200,
        last_attempt_at: expect.any(String),
        next_attempt_at: null,
        created_at: expect.any(String),
      });
    });

    it('sends an endpoint only the types it asked for, and nothing to disabled endpoints', async () => {
      const revokedOnly = await addEndpoint(alice.key, { event_types: ['api_key.revoked'] });
      await addEndpoint(alice.key, { active: false });
      const key = (await as(alice.key).post('/v1/api-keys', { name: 'Filtered' }).expect(201)).body.data;
      await as(alice.key).post(`/v1/api-keys/${key.id}/revoke`).expect(200);
      await receiver.waitFor(1);
      await as(alice.key).post(`/v1/webhook-endpoints/${revokedOnly.id}/test`).expect(200);
      await receiver.waitFor(2);
      expect(receiver.events().map((e) => e.type)).toEqual(['api_key.revoked', 'webhook.test']);
      const rows = await sql('select count(*)::int as n from webhook_deliveries');
      expect(rows[0].n).toBe(2);
    });

    it('writes nothing for a change that rolled back', async () => {
      await addEndpoint(alice.key);
      const small = await createAccount(t.http, t.operatorKey, { name: 'Small', email: 'small@hooks.test', plan: 'pro' });
      await addEndpoint(small.key);
      for (let i = 0; i < 4; i++) await as(small.key).post('/v1/api-keys', { name: `k${i}` }).expect(201);
      const refused = await as(small.key).post('/v1/api-keys', { name: 'one too many' }).expect(403);
      expect(refused.body.code).toBe('KEY_LIMIT_REACHED');
      // A failure after the event was written: a deferred check that fails at commit for one name.
      await sql(`create function refuse_marked() returns trigger language plpgsql as $$
        begin if new.body like '%roll me back%' then raise exception 'forced failure at commit'; end if; return new; end $$`);
      await sql(`create constraint trigger refuse_marked after insert on webhook_events deferrable initially deferred
        for each row execute function refuse_marked()`);
      try {
        const failed = await as(alice.key).post('/v1/api-keys', { name: 'roll me back' });
        expect(failed.status).toBeGreaterThanOrEqual(500);
        await as(alice.key).post('/v1/api-keys', { name: 'committed' }).expect(201);
      } finally {
        await sql('drop trigger if exists refuse_marked on webhook_events');
        await sql('drop function if exists refuse_marked()');
      }
      await receiver.waitFor(5);
      await new Promise((r) => setTimeout(r, 500));
      const names = receiver.events().map((e) => e.data.object.name);
      expect(names.sort()).toEqual(['committed', 'k0', 'k1', 'k2', 'k3']);
      const stored = await sql(`select count(*)::int as n from webhook_events where body like '%roll me back%' or body like '%one too many%'`);
      expect(stored[0].n).toBe(0);
      const keys = (await as(alice.key).get('/v1/api-keys?limit=100').expect(200)).body.data.map((k: { name: string }) => k.name);
      expect(keys).not.toContain('roll me back');
    });

    it('signs with both secrets for 24 hours after a rotation', async () => {
      const endpoint = await addEndpoint(alice.key);
      const rotated = await as(alice.key).post(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`).expect(200);
      const fresh = rotated.body.data.secret;
      expect(fresh).toMatch(/^whsec_/);
      expect(fresh).not.toBe(endpoint.secret);
      expect(rotated.body.data.id).toBe(endpoint.id);
      await as(alice.key).post(`/v1/webhook-endpoints/${endpoint.id}/test`).expect(200);
      const [r] = await receiver.waitFor(1);
      const signatures = String(r.headers['webhook-signature']).split(' ');
      expect(signatures).toHaveLength(2);
      expect(new Webhook(fresh).verify(r.body, r.headers as Record<string, string>)).toMatchObject({ type: 'webhook.test' });
      expect(new Webhook(endpoint.secret).verify(r.body, r.headers as Record<string, string>)).toMatchObject({ type: 'webhook.test' });
      const [row] = await sql('select previous_secret_expires_at from webhook_endpoints where id = ?', [endpoint.id]);
      const overlap = new Date(row.previous_secret_expires_at).getTime() - Date.now();
      expect(overlap).toBeGreaterThan(23.9 * 3600_000);
      expect(overlap).toBeLessThanOrEqual(24 * 3600_000);
      // Once the overlap has passed, only the new secret signs.
      await sql("update webhook_endpoints set previous_secret_expires_at = now() - interval '1 second' where id = ?", [endpoint.id]);
      await as(alice.key).post(`/v1/webhook-endpoints/${endpoint.id}/test`).expect(200);
      const second = (await receiver.waitFor(2))[1];
      expect(String(second.headers['webhook-signature']).split(' ')).toHaveLength(1);
      expect(() => new Webhook(endpoint.secret).verify(second.body, second.headers as Record<string, string>)).toThrow();
      expect(new Webhook(fresh).verify(second.body, second.headers as Record<string, string>)).toBeTruthy();
      const audit = (await as(alice.key).get('/v1/audit-events?action=webhook_endpoint.secret_rotated').expect(200)).body.data;
      expect(audit).toHaveLength(1);
      expect(JSON.stringify(audit)).not.toContain(fresh.slice(6));
    });
  });
});

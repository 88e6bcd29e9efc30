import { Webhook } from 'standardwebhooks';
import { createAccount } from './utils/api';
import { createWebhookTestApp, eventually, FAST_DELIVERY, Receiver, sleep, type WebhookTestApp } from './webhooks-support';

/** Retries, disabling, redirects, timeouts and concurrency, against real receivers on loopback. */
describe('webhooks: delivery (e2e)', () => {
  let t: WebhookTestApp;
  let receiver: Receiver;
  let account: { accountId: string; key: string };

  const as = (key: string) => ({
    get: (path: string) => t.http.get(path).set('X-API-Key', key),
    post: (path: string, body?: object) => t.http.post(path).set('X-API-Key', key).send(body ?? {}),
  });
  const addEndpoint = async (url = receiver.url) =>
    (await as(account.key).post('/v1/webhook-endpoints', { url }).expect(201)).body.data as { id: string; secret: string };
  const deliveries = async (endpointId: string) =>
    (await as(account.key).get(`/v1/webhook-endpoints/${endpointId}/deliveries?limit=100`).expect(200)).body.data as any[];
  const endpointOf = async (id: string) => (await as(account.key).get(`/v1/webhook-endpoints/${id}`).expect(200)).body.data;
  const test = (id: string) => as(account.key).post(`/v1/webhook-endpoints/${id}/test`).expect(200);

  beforeAll(async () => {
    t = await createWebhookTestApp(FAST_DELIVERY, { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    receiver = await Receiver.start();
    account = await createAccount(t.http, t.operatorKey, { name: 'Deliv', email: 'deliv@hooks.test', plan: 'enterprise' });
  });

  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  beforeEach(async () => {
    await t.orm.em.getConnection().execute('delete from webhook_endpoints');
    receiver.receipts.length = 0;
    receiver.answer = (_r, _n, res) => res.writeHead(200).end('ok');
  });

  it('retries a 500 and sends the same webhook-id, body and a fresh signature; keeps each attempt', async () => {
    const endpoint = await addEndpoint();
    receiver.answer = (_r, n, res) => (n === 1 ? res.writeHead(500).end('x'.repeat(5000)) : res.writeHead(200).end('thanks'));
    await as(account.key).post('/v1/api-keys', { name: 'retried' }).expect(201);
    const [first, second] = await receiver.waitFor(2);
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(second.body).toBe(first.body);
    expect(second.at - first.at).toBeGreaterThanOrEqual(250);
    const wh = new Webhook(endpoint.secret);
    for (const r of [first, second]) expect(wh.verify(r.body, r.headers as Record<string, string>)).toMatchObject({ type: 'api_key.created' });
    const [delivery] = await eventually(async () => {
      const list = await deliveries(endpoint.id);
      return list[0]?.status === 'succeeded' && list;
    });
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2, response_status: 200, next_attempt_at: null });
    const detail = (await as(account.key).get(`/v1/webhook-deliveries/${delivery.id}`).expect(200)).body.data;
    expect(detail.attempt_details).toEqual([
      expect.objectContaining({ number: 1, response_status: 500, response_body: 'x'.repeat(1024), error: null }),
      expect.objectContaining({ number: 2, response_status: 200, response_body: 'thanks', error: null }),
    ]);
    expect(receiver.receipts).toHaveLength(2);
  });

  it('disables the endpoint at once on 410, audited as the system, and sends it nothing more', async () => {
    const endpoint = await addEndpoint();
    receiver.answer = (_r, _n, res) => res.writeHead(410).end('gone');
    await test(endpoint.id);
    await receiver.waitFor(1);
    const disabled = await eventually(async () => {
      const e = await endpointOf(endpoint.id);
      return e.status === 'disabled' && e;
    });
    expect(disabled.disabled_reason).toBe('The endpoint answered 410 Gone.');
    const audit = (await as(account.key).get('/v1/audit-events?action=webhook_endpoint.updated').expect(200)).body.data;
    expect(audit[0]).toMatchObject({ actor: { type: 'system', id: 'system' }, target: { id: endpoint.id }, changes: { status: { before: 'enabled', after: 'disabled' } } });
    await as(account.key).post('/v1/api-keys', { name: 'after 410' }).expect(201);
    const [delivery] = await deliveries(endpoint.id);
    const retry = await as(account.key).post(`/v1/webhook-deliveries/${delivery.id}/retry`).expect(409);
    expect(retry.body.code).toBe('CONFLICT');
    await as(account.key).post(`/v1/webhook-endpoints/${endpoint.id}/test`).expect(409);
    await sleep(800);
    expect(receiver.receipts).toHaveLength(1);
    // Events of the disabled time were not queued for it; re-enabled, it gets the retry that was waiting.
    expect((await deliveries(endpoint.id)).map((d) => d.event_type)).toEqual(['webhook.test']);
    receiver.answer = (_r, _n, res) => res.writeHead(204).end();
    const enabled = await t.http.patch(`/v1/webhook-endpoints/${endpoint.id}`).set('X-API-Key', account.key).send({ status: 'enabled' }).expect(200);
    expect(enabled.body.data).toMatchObject({ status: 'enabled', disabled_reason: null });
    await receiver.waitFor(2);
    expect(receiver.receipts[1].headers['webhook-id']).toBe(receiver.receipts[0].headers['webhook-id']);
    await eventually(async () => (await deliveries(endpoint.id))[0].status === 'succeeded');
  });

  it('does not follow redirects: a 3xx is a failed attempt', async () => {
    const elsewhere = await Receiver.start();
    try {
      const endpoint = await addEndpoint();
      receiver.answer = (_r, _n, res) => res.writeHead(307, { location: elsewhere.url }).end();
      await test(endpoint.id);
      await receiver.waitFor(2);
      const [delivery] = await deliveries(endpoint.id);
      expect(delivery).toMatchObject({ status: 'failed', response_status: 307 });
      expect(elsewhere.receipts).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it('gives up on an answer that takes longer than the timeout', async () => {
    const endpoint = await addEndpoint();
    receiver.answer = (_r, n, res) => (n === 1 ? setTimeout(() => res.writeHead(200).end(), 3_000) : res.writeHead(200).end());
    await test(endpoint.id);
    const [delivery] = await eventually(async () => {
      const list = await deliveries(endpoint.id);
      return list[0]?.status === 'succeeded' && list;
    });
    const detail = (await as(account.key).get(`/v1/webhook-deliveries/${delivery.id}`).expect(200)).body.data;
    expect(detail.attempt_details[0]).toMatchObject({ number: 1, response_status: null, error: 'no answer within 1000 ms' });
    expect(detail.attempt_details[0].duration_ms).toBeGreaterThanOrEqual(950);
    expect(detail.attempt_details[0].duration_ms).toBeLessThan(2_500);
    expect(detail.attempt_details[1]).toMatchObject({ number: 2, response_status: 200 });
  });

  it('records a network failure, stops after 8 attempts (exhausted), and a manual retry makes one more', async () => {
    const closed = await Receiver.start();
    const url = closed.url;
    await closed.close();
    const endpoint = await addEndpoint(url);
    await test(endpoint.id);
    const [delivery] = await eventually(async () => {
      const list = await deliveries(endpoint.id);
      return list[0]?.status === 'exhausted' && list;
    }, 15_000);
    expect(delivery).toMatchObject({ attempts: 8, response_status: null, next_attempt_at: null });
    const detail = (await as(account.key).get(`/v1/webhook-deliveries/${delivery.id}`).expect(200)).body.data;
    expect(detail.attempt_details).toHaveLength(8);
    expect(detail.attempt_details[0].error).toMatch(/ECONNREFUSED/);
    await t.http.patch(`/v1/webhook-endpoints/${endpoint.id}`).set('X-API-Key', account.key).send({ url: receiver.url }).expect(200);
    const retried = await as(account.key).post(`/v1/webhook-deliveries/${delivery.id}/retry`).expect(200);
    expect(retried.body.data).toMatchObject({ id: delivery.id, status: 'pending' });
    const [r] = await receiver.waitFor(1);
    expect(r.headers['webhook-id']).toBe(delivery.event_id);
    await eventually(async () => (await deliveries(endpoint.id))[0].status === 'succeeded');
    expect((await deliveries(endpoint.id))[0].attempts).toBe(9);
  });

  it('honours Retry-After, within its bound', async () => {
    const endpoint = await addEndpoint();
    receiver.answer = (_r, n, res) => (n === 1 ? res.writeHead(503, { 'retry-after': '2' }).end() : res.writeHead(200).end());
    await test(endpoint.id);
    const [first, second] = await receiver.waitFor(2, 6_000);
    expect(second.at - first.at).toBeGreaterThanOrEqual(1_900);
  });

  it('sends at most 4 requests at once to one endpoint', async () => {
    const endpoint = await addEndpoint();
    let open = 0;
    let most = 0;
    receiver.answer = (_r, _n, res) => {
      open++;
      most = Math.max(most, open);
      setTimeout(() => {
        open--;
        res.writeHead(200).end();
      }, 400);
    };
    await Promise.all(Array.from({ length: 12 }, () => test(endpoint.id)));
    await receiver.waitFor(12);
    expect(new Set(receiver.receipts.map((r) => r.headers['webhook-id'])).size).toBe(12);
    expect(most).toBe(4);
  });
});

describe('webhooks: an endpoint failing every attempt for the disable period (e2e)', () => {
  let t: WebhookTestApp;
  let receiver: Receiver;

  beforeAll(async () => {
    t = await createWebhookTestApp({ ...FAST_DELIVERY, disableAfterMs: 1_500 }, { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    receiver = await Receiver.start();
  });

  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  it('is disabled with a reason, audited as the system', async () => {
    const account = await createAccount(t.http, t.operatorKey, { name: 'Failing', email: 'failing@hooks.test', plan: 'enterprise' });
    receiver.answer = (_r, _n, res) => res.writeHead(500).end();
    const endpoint = (await t.http.post('/v1/webhook-endpoints').set('X-API-Key', account.key).send({ url: receiver.url }).expect(201)).body.data;
    await t.http.post(`/v1/webhook-endpoints/${endpoint.id}/test`).set('X-API-Key', account.key).expect(200);
    const disabled = await eventually(async () => {
      const e = (await t.http.get(`/v1/webhook-endpoints/${endpoint.id}`).set('X-API-Key', account.key)).body.data;
      return e.status === 'disabled' && e;
    });
    expect(disabled.disabled_reason).toMatch(/^Every delivery attempt failed for \d+ days\.$/);
    const audit = (await t.http.get('/v1/audit-events?action=webhook_endpoint.updated').set('X-API-Key', account.key).expect(200)).body.data;
    expect(audit[0]).toMatchObject({ actor: { type: 'system' }, changes: { status: { after: 'disabled' } } });
    // Every attempt until then failed; none after.
    const attempts = receiver.receipts.length;
    expect(attempts).toBeGreaterThanOrEqual(5);
    await sleep(700);
    expect(receiver.receipts).toHaveLength(attempts);
  });
});

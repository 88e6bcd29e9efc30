import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { loadConfig } from '../src/config/configuration';
import type { Resolver } from '../src/webhooks/webhook-options';
import { systemResolver } from '../src/webhooks/webhook-options';
import { createAccount } from './utils/api';
import { createWebhookTestApp, eventually, FAST_DELIVERY, sleep, type WebhookTestApp } from './webhooks-support';

/** Names this test controls: `rebind.test` answers a public address first and loopback afterwards. */
let rebindAnswers = 0;
const testResolver: Resolver = (hostname, callback) => {
  const answer = (address: string) => callback(null, [{ address, family: address.includes(':') ? 6 : 4 }]);
  if (hostname === 'internal.test') return answer('10.1.2.3');
  if (hostname === 'metadata.test') return answer('169.254.169.254');
  if (hostname === 'mixed.test') return callback(null, [{ address: '93.184.216.34', family: 4 }, { address: '127.0.0.1', family: 4 }]);
  if (hostname === 'public.test') return answer('93.184.216.34');
  if (hostname === 'rebind.test') return answer(rebindAnswers++ === 0 ? '93.184.216.34' : '127.0.0.1');
  if (hostname === 'localhost') return systemResolver(hostname, callback);
  callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
};

describe('webhooks: private networks refused (e2e, WEBHOOK_ALLOW_PRIVATE_NETWORKS off)', () => {
  let t: WebhookTestApp;
  let key: string;
  let tcp: ReturnType<typeof createTcpServer>;
  let connections = 0;

  const create = (url: string) => t.http.post('/v1/webhook-endpoints').set('X-API-Key', key).send({ url });

  beforeAll(async () => {
    t = await createWebhookTestApp({ ...FAST_DELIVERY, resolve: testResolver });
    key = (await createAccount(t.http, t.operatorKey, { name: 'Ssrf', email: 'ssrf@hooks.test', plan: 'enterprise' })).key;
    // Anything that reaches loopback would be seen here, TLS or not.
    tcp = createTcpServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    tcp?.close();
    await t?.close();
  });

  it.each([
    ['loopback', 'https://127.0.0.1/hook'],
    ['loopback in decimal', 'https://2130706433/hook'],
    ['loopback IPv6', 'https://[::1]/hook'],
    ['private', 'https://10.0.0.7/hook'],
    ['private 192.168', 'https://192.168.1.1/hook'],
    ['unique local IPv6', 'https://[fd00::1]/hook'],
    ['cloud metadata', 'https://169.254.169.254/latest/meta-data/'],
    ['link-local IPv6', 'https://[fe80::1]/hook'],
    ['CGNAT', 'https://100.64.0.1/hook'],
    ['unspecified', 'https://0.0.0.0/hook'],
    ['multicast', 'https://224.0.0.1/hook'],
    ['reserved', 'https://240.0.0.1/hook'],
    ['IPv4-mapped IPv6', 'https://[::ffff:127.0.0.1]/hook'],
    ['NAT64', 'https://[64:ff9b::a9fe:a9fe]/hook'],
    ['6to4', 'https://[2002:7f00:1::1]/hook'],
    ['localhost', 'https://localhost/hook'],
    ['a name for a private address', 'https://internal.test/hook'],
    ['a name for the metadata address', 'https://metadata.test/hook'],
    ['a name with one private address among public ones', 'https://mixed.test/hook'],
  ])('refuses %s at create with 400 on url', async (_, url) => {
    const res = await create(url).expect(400);
    expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED', details: [{ field: 'url', message: expect.stringMatching(/^url must reach a public address/) }] });
    expect(res.body.request_id).toEqual(expect.any(String));
  });

  it('refuses http://, unknown names, and private URLs in an update', async () => {
    const http = await create('http://public.test/hook').expect(400);
    expect(http.body.details).toEqual([{ field: 'url', message: 'url must start with https://' }]);
    const unknown = await create('https://nowhere.test/hook').expect(400);
    expect(unknown.body.details).toEqual([{ field: 'url', message: "url's host nowhere.test does not resolve" }]);
    const ok = await create('https://public.test/hook').expect(201);
    const patched = await t.http.patch(`/v1/webhook-endpoints/${ok.body.data.id}`).set('X-API-Key', key).send({ url: 'https://10.0.0.1/' }).expect(400);
    expect(patched.body.details[0].field).toBe('url');
  });

  it('checks the address at connect time, so a name that rebinds to loopback is refused', async () => {
    const port = (tcp.address() as AddressInfo).port;
    const endpoint = (await create(`https://rebind.test:${port}/hook`).expect(201)).body.data;
    await t.http.post(`/v1/webhook-endpoints/${endpoint.id}/test`).set('X-API-Key', key).expect(200);
    const [delivery] = await eventually(async () => {
      const list = (await t.http.get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`).set('X-API-Key', key)).body.data;
      return list[0]?.attempts >= 2 && list;
    });
    const detail = (await t.http.get(`/v1/webhook-deliveries/${delivery.id}`).set('X-API-Key', key).expect(200)).body.data;
    expect(detail.attempt_details[0]).toMatchObject({
      response_status: null,
      error: 'rebind.test resolves to 127.0.0.1, a private, loopback, link-local or reserved address, is not allowed',
    });
    expect(connections).toBe(0);
  });

  it('refuses a stored private literal at connect time too (node connects to literals without a lookup)', async () => {
    const port = (tcp.address() as AddressInfo).port;
    const endpoint = (await create('https://public.test/hook').expect(201)).body.data;
    await t.orm.em.getConnection().execute('update webhook_endpoints set url = ? where id = ?', [`https://127.0.0.1:${port}/hook`, endpoint.id]);
    await t.http.post(`/v1/webhook-endpoints/${endpoint.id}/test`).set('X-API-Key', key).expect(200);
    const [delivery] = await eventually(async () => {
      const list = (await t.http.get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`).set('X-API-Key', key)).body.data;
      return list[0]?.attempts >= 1 && list[0].last_attempt_at && list;
    });
    const detail = (await t.http.get(`/v1/webhook-deliveries/${delivery.id}`).set('X-API-Key', key).expect(200)).body.data;
    expect(detail.attempt_details[0].error).toBe('127.0.0.1, a private, loopback, link-local or reserved address, is not allowed');
    await sleep(200);
    expect(connections).toBe(0);
  });

  it('validates WEBHOOK_ALLOW_PRIVATE_NETWORKS at boot', () => {
    expect(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'maybe' })).toThrow(/WEBHOOK_ALLOW_PRIVATE_NETWORKS must be true or false/);
    expect(loadConfig({}).webhooks.allowPrivateNetworks).toBe(false);
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' }).webhooks.allowPrivateNetworks).toBe(true);
  });
});

describe('webhooks: an https receiver with its own certificate (e2e, private networks allowed)', () => {
  let t: WebhookTestApp;
  let dir: string;
  let server: ReturnType<typeof createHttpsServer>;
  const bodies: { headers: Record<string, string>; body: string }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push({ headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString() });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t = await createWebhookTestApp({ ...FAST_DELIVERY, ca: [cert] }, { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
  });

  afterAll(async () => {
    server?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers over TLS, verifying the certificate, and the signature verifies', async () => {
    const { key } = await createAccount(t.http, t.operatorKey, { name: 'Tls', email: 'tls@hooks.test', plan: 'enterprise' });
    const port = (server.address() as AddressInfo).port;
    const endpoint = (await t.http.post('/v1/webhook-endpoints').set('X-API-Key', key).send({ url: `https://localhost:${port}/hook` }).expect(201)).body.data;
    await t.http.post(`/v1/webhook-endpoints/${endpoint.id}/test`).set('X-API-Key', key).expect(200);
    await eventually(async () => bodies.length >= 1);
    expect(new Webhook(endpoint.secret).verify(bodies[0].body, bodies[0].headers)).toMatchObject({ type: 'webhook.test' });
  });
});

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Locator, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { createAccount } from '../utils/api';
import { createTestApp, type TestApp } from '../utils/test-app';
import { ensureConsoleBuilt } from './build';
import { checkPage, copyAndCloseOneTimeSecret, launchChromium, openContext, type ConsolePage } from './browser';
import { eventually, portalLink, signIn } from './portal';

interface Receipt {
  headers: Record<string, string>;
  body: string;
  type: string;
}
type Answer = 'ok' | 'fail' | 'gone';

/** A real HTTP receiver on loopback: it answers as told and keeps every request it got. */
async function startReceiver() {
  const receipts: Receipt[] = [];
  const state = { answer: 'ok' as Answer };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      receipts.push({ headers: flat(req.headers), body, type: (JSON.parse(body) as { type: string }).type });
      // A failure asks for the next attempt an hour later, so only Retry brings it forward.
      if (state.answer === 'fail') res.writeHead(500, { 'retry-after': '3600' }).end('receiver is down');
      else if (state.answer === 'gone') res.writeHead(410).end();
      else res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return { url, receipts, state, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
const flat = (headers: IncomingHttpHeaders) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));

async function until<T>(find: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('nothing arrived in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The Webhooks page in a real browser against the real service and a real receiver: a customer adds
 * an endpoint, copies its secret, and the events the service sends verify with that secret.
 */
describe('console: webhooks (browser e2e)', () => {
  let t: TestApp;
  let browser: Browser;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let c: ConsolePage;
  let page: Page;
  let account: { accountId: string; key: string; keyId: string };
  let secret: string;
  let endpointId: string;

  const dialog = () => page.getByRole('dialog');
  const nav = (name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true });
  const endpointRow = (): Locator => page.getByRole('row').filter({ has: page.getByRole('rowheader').filter({ hasText: receiver.url }) });
  const delivery = (type: string, status: string) => page.getByRole('row').filter({ has: page.getByRole('rowheader').filter({ hasText: type }) }).filter({ hasText: status });
  const apiEndpoint = async () => (await t.http.get(`/v1/webhook-endpoints/${endpointId}`).set('X-API-Key', account.key)).body.data;
  const openDeliveries = async () => {
    await nav('Webhooks').click();
    await endpointRow().getByRole('link', { name: 'View deliveries' }).click();
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
  };

  beforeAll(async () => {
    ensureConsoleBuilt();
    receiver = await startReceiver();
    [t, browser] = await Promise.all([createTestApp({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' }), launchChromium()]);
    account = await createAccount(t.http, t.operatorKey, { name: 'Hooked Ltd', email: 'ops@hooked.test', plan: 'pro' });
    c = await openContext(browser);
    await c.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    page = c.page;
    page.setDefaultTimeout(15_000);
    await signIn(page, (await portalLink(t, account.accountId)).url);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await receiver?.close();
  });
  afterEach(() => expect(c.problems).toEqual([]));

  it('adds an endpoint (all events by default); the signing secret is shown once and copied', async () => {
    await nav('Webhooks').click();
    await page.getByText('No endpoints yet.').waitFor();
    expect(await page.getByText('coming soon').count()).toBe(0);
    await checkPage(page, 'webhooks-empty');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await dialog().getByLabel('URL').fill(receiver.url);
    await dialog().getByLabel('Description').fill('Billing sync');
    expect(await dialog().getByRole('checkbox', { name: 'All events' }).isChecked()).toBe(true);
    expect(await dialog().getByRole('checkbox', { name: /api_key\.created/ }).count()).toBe(0);
    await checkPage(page, 'webhooks-add');
    await dialog().getByRole('button', { name: 'Add endpoint' }).click();

    const shown = dialog().getByLabel('Signing secret');
    secret = await shown.inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(await dialog().textContent()).toContain('This is the only time the full signing secret is shown');
    // Closing before copying asks first.
    await dialog().getByRole('button', { name: 'Close' }).click();
    await page.getByRole('dialog', { name: 'Close without copying?' }).waitFor();
    await dialog().getByRole('button', { name: 'Go back' }).click();
    await checkPage(page, 'webhooks-secret');
    await copyAndCloseOneTimeSecret(page, secret);

    const cells = endpointRow().getByRole('cell');
    expect(await endpointRow().getByRole('rowheader').textContent()).toBe(`${receiver.url}Billing sync`);
    expect(await cells.nth(0).textContent()).toBe('All events');
    expect(await cells.nth(1).textContent()).toBe('Enabled');
    const list = await t.http.get('/v1/webhook-endpoints').set('X-API-Key', account.key).expect(200);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({ url: receiver.url, description: 'Billing sync', status: 'enabled', event_types: expect.arrayContaining(['api_key.created', 'webhook.test']) });
    endpointId = list.body.data[0].id;
  });

  it('Send test event: the receiver gets webhook.test, and it verifies with the copied secret', async () => {
    await endpointRow().getByRole('button', { name: 'Send test event' }).click();
    await page.getByRole('status').filter({ hasText: 'A test event' }).waitFor();
    const got = await until(() => receiver.receipts.find((r) => r.type === 'webhook.test'));
    expect(new Webhook(secret).verify(got.body, got.headers)).toMatchObject({ type: 'webhook.test' });
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(got.body, got.headers)).toThrow();
    await openDeliveries();
    await delivery('webhook.test', 'Succeeded').waitFor();
    expect(await delivery('webhook.test', 'Succeeded').getByRole('cell').nth(2).textContent()).toBe('200');
  });

  it('a key created in the console sends api_key.created, shown as succeeded in the deliveries view', async () => {
    await nav('API Keys').click();
    await page.getByRole('button', { name: 'Create API Key' }).click();
    await dialog().getByLabel('Name').fill('Hooked key');
    await dialog().getByRole('button', { name: 'Create', exact: true }).click();
    await dialog().getByLabel('API key').waitFor();
    await dialog().getByRole('button', { name: 'Close' }).click();
    await dialog().getByRole('button', { name: 'Confirm' }).click();
    await dialog().waitFor({ state: 'detached' });
    const got = await until(() => receiver.receipts.find((r) => r.type === 'api_key.created'));
    const event = new Webhook(secret).verify(got.body, got.headers) as { data: { object: { name: string; key?: string } } };
    expect(event.data.object.name).toBe('Hooked key');
    expect(event.data.object.key).toBeUndefined();

    await openDeliveries();
    const row = delivery('api_key.created', 'Succeeded');
    await row.waitFor();
    const cells = row.getByRole('cell');
    expect(await cells.nth(1).textContent()).toBe('1');
    expect(await cells.nth(2).textContent()).toBe('200');
    // The last attempt in the viewer's zone (this browser is in Berlin).
    const last = cells.nth(3).locator('time');
    const berlin = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Berlin' }).format(new Date((await last.getAttribute('datetime'))!));
    expect(await last.textContent()).toBe(berlin);
    expect(await row.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    await checkPage(page, 'webhooks-deliveries');
  });

  it('the receiver answering 500 shows a failed delivery; Retry after it is fixed shows succeeded', async () => {
    receiver.state.answer = 'fail';
    const before = receiver.receipts.length;
    await page.getByRole('button', { name: 'Send test event' }).click();
    const failed = delivery('webhook.test', 'Failed');
    await failed.waitFor();
    expect(receiver.receipts.length).toBe(before + 1);
    const cells = failed.getByRole('cell');
    expect(await cells.nth(1).textContent()).toBe('1');
    expect(await cells.nth(2).textContent()).toBe('500');
    // Retry-After: 3600 put the next attempt about an hour away.
    const next = Date.parse((await cells.nth(4).locator('time').getAttribute('datetime'))!);
    expect(next - Date.now()).toBeGreaterThan(50 * 60_000);
    await checkPage(page, 'webhooks-delivery-failed');

    receiver.state.answer = 'ok';
    const eventId = (await failed.locator('.event-id').textContent())!;
    await failed.getByRole('button', { name: 'Retry' }).click();
    await until(() => (receiver.receipts.length === before + 2 ? true : undefined));
    // The view refreshes itself while the retry is due.
    const retriedRow = page.getByRole('row').filter({ hasText: eventId });
    await retriedRow.filter({ hasText: 'Succeeded' }).waitFor();
    expect(await retriedRow.getByRole('cell').nth(1).textContent()).toBe('2');
    expect(await retriedRow.getByRole('cell').nth(2).textContent()).toBe('200');
    expect(await delivery('webhook.test', 'Failed').count()).toBe(0);
    await checkPage(page, 'webhooks-delivery-retried');
    const retried = receiver.receipts[before + 1];
    expect(retried.headers['webhook-id']).toBe(receiver.receipts[before].headers['webhook-id']);
    expect(new Webhook(secret).verify(retried.body, retried.headers)).toMatchObject({ type: 'webhook.test' });
  });

  it('edits the description and event types (Save changes)', async () => {
    await nav('Webhooks').click();
    await endpointRow().getByRole('button', { name: 'Edit' }).click();
    expect(await dialog().getByRole('checkbox', { name: 'All events' }).isChecked()).toBe(true);
    await dialog().getByLabel('Description').fill('Billing sync (EU)');
    await dialog().getByRole('checkbox', { name: 'All events' }).uncheck();
    await dialog().getByRole('checkbox', { name: /api_key\.revoked/ }).check();
    await dialog().getByRole('checkbox', { name: /webhook\.test/ }).check();
    await checkPage(page, 'webhooks-edit');
    await dialog().getByRole('button', { name: 'Save changes' }).click();
    await dialog().waitFor({ state: 'detached' });
    await endpointRow().getByText('Billing sync (EU)').waitFor();
    expect(await endpointRow().getByRole('cell').nth(0).textContent()).toBe('api_key.revokedwebhook.test');
    expect(await apiEndpoint()).toMatchObject({ description: 'Billing sync (EU)', event_types: ['api_key.revoked', 'webhook.test'] });
  });

  it('disables and enables the endpoint', async () => {
    await endpointRow().getByRole('button', { name: 'Disable' }).click();
    await endpointRow().getByText('Disabled').waitFor();
    expect(await apiEndpoint()).toMatchObject({ status: 'disabled', disabled_reason: null });
    // Disabled on request: no banner, and no test event to send.
    expect(await page.getByText('Latchkey disabled').count()).toBe(0);
    expect(await endpointRow().getByRole('button', { name: 'Send test event' }).count()).toBe(0);
    await checkPage(page, 'webhooks-disabled');
    await endpointRow().getByRole('button', { name: 'Enable' }).click();
    await endpointRow().getByText('Enabled').waitFor();
    expect((await apiEndpoint()).status).toBe('enabled');
  });

  it('rotates the secret (Confirm): the new one is shown once, and both sign for 24 hours', async () => {
    await endpointRow().getByRole('button', { name: 'Rotate secret' }).click();
    await dialog().getByText('Both secrets sign every delivery for 24 hours').waitFor();
    await dialog().getByRole('button', { name: 'Confirm' }).click();
    const fresh = await dialog().getByLabel('Signing secret').inputValue();
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(secret);
    expect(await dialog().textContent()).toContain('for the next 24 hours');
    await checkPage(page, 'webhooks-rotated');
    await dialog().getByRole('button', { name: 'Copy' }).click();
    await dialog().getByRole('status').getByText('Copied to the clipboard.').waitFor();
    await dialog().getByRole('button', { name: 'Close' }).click();
    await dialog().waitFor({ state: 'detached' });

    const before = receiver.receipts.length;
    await endpointRow().getByRole('button', { name: 'Send test event' }).click();
    const got = await until(() => receiver.receipts.slice(before).find((r) => r.type === 'webhook.test'));
    expect(got.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(fresh).verify(got.body, got.headers)).toMatchObject({ type: 'webhook.test' });
    expect(new Webhook(secret).verify(got.body, got.headers)).toMatchObject({ type: 'webhook.test' });
    secret = fresh;
  });

  it('an endpoint the service disabled (410 Gone) gets a banner saying why; Enable clears it', async () => {
    receiver.state.answer = 'gone';
    const before = receiver.receipts.length;
    await endpointRow().getByRole('button', { name: 'Send test event' }).click();
    await until(() => receiver.receipts[before]);
    // The list shows what it loaded: reload until the service's change is in.
    await eventually(page, async () => (await page.getByText(`Latchkey disabled ${receiver.url}.`).count()) === 1);
    await page.getByText('The endpoint answered 410 Gone.').first().waitFor();
    expect(await page.locator('.notice-danger').textContent()).toContain('The endpoint answered 410 Gone.');
    expect(await endpointRow().getByRole('cell').nth(1).textContent()).toBe('DisabledThe endpoint answered 410 Gone.');
    await checkPage(page, 'webhooks-system-disabled');
    await endpointRow().getByRole('link', { name: 'View deliveries' }).click();
    await page.getByText(`Latchkey disabled ${receiver.url}.`).waitFor();
    await checkPage(page, 'webhooks-system-disabled-detail');

    receiver.state.answer = 'ok';
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByRole('button', { name: 'Disable' }).waitFor();
    expect(await page.getByText('Latchkey disabled').count()).toBe(0);
    expect(await apiEndpoint()).toMatchObject({ status: 'enabled', disabled_reason: null });
  });

  it('an auditor-like session (webhooks:read only) sees endpoints and deliveries but no control to change them', async () => {
    const auditor = await openContext(browser);
    const p = auditor.page;
    p.setDefaultTimeout(15_000);
    await signIn(p, (await portalLink(t, account.accountId, { user: { id: 'auditor_1', name: 'Ann Auditor' }, scopes: ['webhooks:read'] })).url);
    await p.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Webhooks' }).click();
    const row = p.getByRole('row').filter({ hasText: receiver.url });
    await row.waitFor();
    await checkPage(p, 'webhooks-read-only');
    for (const name of ['Add endpoint', 'Edit', 'Disable', 'Enable', 'Rotate secret', 'Send test event', 'Delete']) {
      expect(await p.getByRole('button', { name }).count()).toBe(0);
    }
    await row.getByRole('link', { name: 'View deliveries' }).click();
    await p.getByRole('row').filter({ hasText: 'api_key.created' }).waitFor();
    expect(await p.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    expect(await p.getByRole('button').filter({ hasText: /Edit|Delete|Disable|Rotate|Send test/ }).count()).toBe(0);
    await checkPage(p, 'webhooks-read-only-deliveries');
    const attempt = await p.evaluate(async (id) => {
      const res = await fetch(`/v1/webhook-endpoints/${id}`, { method: 'DELETE' });
      return [res.status, ((await res.json()) as { code: string }).code];
    }, endpointId);
    expect(attempt).toEqual([403, 'INSUFFICIENT_SCOPE']);
    expect(auditor.problems).toEqual([]);
    await auditor.context.close();
  });

  it('deletes the endpoint after Confirm', async () => {
    await nav('Webhooks').click();
    await endpointRow().getByRole('button', { name: 'Delete' }).click();
    await dialog().getByText('its delivery history is removed').waitFor();
    await checkPage(page, 'webhooks-delete');
    await dialog().getByRole('button', { name: 'Confirm' }).click();
    await dialog().waitFor({ state: 'detached' });
    await page.getByText('No endpoints yet.').waitFor();
    await t.http.get(`/v1/webhook-endpoints/${endpointId}`).set('X-API-Key', account.key).expect(404);
  });

  it('keys expiring within a week say so on the key list and the key detail, in days of the viewer’s zone', async () => {
    const create = (name: string, days: number) =>
      t.http.post('/v1/api-keys').set('X-API-Key', account.key).send({ name, expires_at: new Date(Date.now() + days * 86_400_000).toISOString() }).expect(201);
    await create('Expiring soon', 3);
    await create('Expiring later', 30);
    await nav('API Keys').click();
    const keyRow = (name: string) => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });
    await keyRow('Expiring soon').waitFor();
    expect(await keyRow('Expiring soon').getByRole('cell').nth(2).textContent()).toBe('Activeexpires in 3 days');
    expect(await keyRow('Expiring later').getByRole('cell').nth(2).textContent()).toBe('Active');
    await checkPage(page, 'keys-expiring');
    await keyRow('Expiring soon').getByRole('link', { name: 'Expiring soon' }).click();
    await page.getByRole('heading', { name: 'Usage' }).waitFor();
    await page.getByText('expires in 3 days').waitFor();
    await checkPage(page, 'key-expiring');
  });
});

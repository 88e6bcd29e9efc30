import { readFileSync } from 'node:fs';
import type { Browser, Locator, Page } from 'playwright-core';
import { createAccount } from '../utils/api';
import { createTestApp, type TestApp } from '../utils/test-app';
import { ensureConsoleBuilt } from './build';
import { checkPage, copyAndCloseOneTimeSecret, launchChromium, openContext, type ConsolePage } from './browser';
import { eventually, meWith, portalLink, signIn } from './portal';

/**
 * The seeds' flows in a real browser against the real service: a customer signs in from a portal
 * link and manages keys by the names on the controls, the way a person (or a screen reader) finds them.
 */
describe('console: API keys, usage, audit log and account (browser e2e)', () => {
  let t: TestApp;
  let browser: Browser;
  let c: ConsolePage;
  let page: Page;
  let account: { accountId: string; key: string; keyId: string };
  let secret: string;
  let keyId: string;

  const dialog = () => page.getByRole('dialog');
  const row = (name: string): Locator => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });
  const nav = (name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true });

  beforeAll(async () => {
    ensureConsoleBuilt();
    [t, browser] = await Promise.all([createTestApp(), launchChromium()]);
    account = await createAccount(t.http, t.operatorKey, { name: 'Acme Corp', email: 'ops@acme.test', plan: 'pro' });
    c = await openContext(browser);
    await c.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    page = c.page;
    page.setDefaultTimeout(10_000);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
  afterEach(() => expect(c.problems).toEqual([]));

  it('signs in from a portal link: the code leaves the address bar, the sidebar shows every page', async () => {
    const { url } = await portalLink(t, account.accountId);
    await signIn(page, url);
    expect(page.url()).not.toContain('#');
    expect(page.url()).not.toContain('pst_');
    await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();
    for (const name of ['API Keys', 'Usage', 'Audit log', 'Account', 'Webhooks']) expect(await nav(name).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(1);
    expect(await nav('Accounts').count()).toBe(0);
    expect(await nav('Plans').count()).toBe(0);
    expect(await row('Default key').count()).toBe(1);
    await checkPage(page, 'keys');
  });

  it('creates a key; the one-time display copies it, and that key authenticates against /v1/me', async () => {
    await page.getByRole('button', { name: 'Create API Key' }).click();
    // Focus moves into the dialog, to its first field.
    expect(await page.evaluate(() => document.activeElement?.closest('dialog[aria-modal="true"]') !== null && document.activeElement?.tagName)).toBe('INPUT');
    expect(await dialog().getAttribute('aria-labelledby')).toBeTruthy();
    await dialog().getByLabel('Name').fill('Production API Key');
    await dialog().getByLabel('Environment').selectOption({ label: 'Live' });
    const inAMonth = new Date(Date.now() + 30 * 86_400_000);
    await dialog().getByLabel('Expiration date').fill(inAMonth.toISOString().slice(0, 10));
    expect(await dialog().getByRole('switch', { name: 'Active' }).isChecked()).toBe(true);
    await checkPage(page, 'create-key');
    await dialog().getByRole('button', { name: 'Create', exact: true }).click();

    const shown = dialog().getByLabel('API key');
    await shown.waitFor();
    secret = await shown.inputValue();
    expect(secret).toMatch(/^lk_live_[0-9A-Za-z]{48}$/);
    expect(await dialog().textContent()).toContain('This is the only time the full key is shown');
    await checkPage(page, 'one-time-key');
    await copyAndCloseOneTimeSecret(page, secret);

    const me = await meWith(t, secret);
    expect(me.status).toBe(200);
    keyId = me.keyId!;
  });

  it('closing the one-time display before copying asks for confirmation', async () => {
    await page.getByRole('button', { name: 'Create API Key' }).click();
    await dialog().getByLabel('Name').fill('Staging key');
    await dialog().getByLabel('Environment').selectOption({ label: 'Test' });
    await dialog().getByRole('button', { name: 'Create', exact: true }).click();
    const testKey = await dialog().getByLabel('API key').inputValue();
    expect(testKey).toMatch(/^lk_test_/);
    await dialog().getByRole('button', { name: 'Close' }).click();
    await page.getByRole('dialog', { name: 'Close without copying?' }).waitFor();
    await checkPage(page, 'close-without-copying');
    await dialog().getByRole('button', { name: 'Go back' }).click();
    expect(await dialog().getByLabel('API key').inputValue()).toBe(testKey);
    await dialog().getByRole('button', { name: 'Close' }).click();
    await dialog().getByRole('button', { name: 'Confirm' }).click();
    await dialog().waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(testKey);
    expect(await row('Staging key').getByRole('cell').nth(1).textContent()).toBe('Test');
  });

  it('lists the key masked, with its last use, and filters by environment and status', async () => {
    const cells = row('Production API Key').getByRole('cell');
    expect(await cells.nth(0).textContent()).toBe(`lk_live_…${secret.slice(-4)}`);
    expect(await cells.nth(2).textContent()).toBe('Active');
    // Last use is written in the background: reload until it shows.
    await eventually(page, async () => (await row('Production API Key').getByRole('cell').nth(3).textContent()) !== 'Never');
    // Dates in the viewer's zone (this browser is in Berlin), whatever the server's.
    const created = row('Production API Key').getByRole('cell').nth(4).locator('time');
    const iso = (await created.getAttribute('datetime'))!;
    const berlin = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Berlin' }).format(new Date(iso));
    expect(await created.textContent()).toBe(berlin);

    await page.getByLabel('Environment').selectOption({ label: 'Test' });
    await row('Production API Key').waitFor({ state: 'detached' });
    await row('Staging key').waitFor();
    await page.getByLabel('Environment').selectOption({ label: 'All' });
    await page.getByLabel('Status').selectOption({ label: 'Inactive' });
    await page.getByText('No API keys match these filters.').waitFor();
    await page.getByLabel('Status').selectOption({ label: 'All' });
    await row('Production API Key').waitFor();
  });

  it('edits the name and restrictions (Save changes)', async () => {
    await row('Production API Key').getByRole('button', { name: 'Edit' }).click();
    await dialog().getByLabel('Name').fill('Production API Key (EU)');
    await dialog().getByLabel('Allowed IPs').fill('127.0.0.1/32');
    await checkPage(page, 'edit-key');
    await dialog().getByRole('button', { name: 'Save changes' }).click();
    await dialog().waitFor({ state: 'detached' });
    await row('Production API Key (EU)').waitFor();
    const key = await t.http.get(`/v1/api-keys/${keyId}`).set('X-API-Key', account.key).expect(200);
    expect(key.body.data).toMatchObject({ name: 'Production API Key (EU)', allowed_ips: ['127.0.0.1/32'] });
    expect((await meWith(t, secret)).status).toBe(200);
  });

  it('shows the API’s own sentence when the API refuses a change', async () => {
    await row('Production API Key (EU)').getByRole('button', { name: 'Edit' }).click();
    await dialog().getByLabel('Allowed IPs').fill('not-an-ip');
    await dialog().getByRole('button', { name: 'Save changes' }).click();
    const alert = dialog().getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/\S/);
    expect(await dialog().locator('[aria-invalid="true"]').count()).toBeGreaterThan(0);
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    await dialog().waitFor({ state: 'detached' });
  });

  it('deactivates after Confirm (the API refuses the key at once) and activates again', async () => {
    await row('Production API Key (EU)').getByRole('button', { name: 'Deactivate', exact: true }).click();
    expect(await dialog().getByRole('heading').textContent()).toBe('Deactivate Production API Key (EU)?');
    await checkPage(page, 'deactivate-confirm');
    await dialog().getByRole('button', { name: 'Confirm' }).click();
    await row('Production API Key (EU)').getByText('Inactive').waitFor();
    expect(await meWith(t, secret)).toMatchObject({ status: 401, code: 'API_KEY_INACTIVE' });

    await row('Production API Key (EU)').getByRole('button', { name: 'Activate', exact: true }).click();
    await dialog().getByRole('button', { name: 'Confirm' }).click();
    await row('Production API Key (EU)').getByText('Active', { exact: true }).waitFor();
    expect((await meWith(t, secret)).status).toBe(200);
  });

  it('regenerates with a 1 hour grace period: the old secret works until the grace ends, the new one at once', async () => {
    await row('Production API Key (EU)').getByRole('button', { name: 'Regenerate' }).click();
    await dialog().getByRole('radio', { name: '1 hour' }).check();
    await checkPage(page, 'regenerate');
    await dialog().getByRole('button', { name: 'Confirm' }).click();
    const fresh = await dialog().getByLabel('API key').inputValue();
    expect(fresh).not.toBe(secret);
    await dialog().getByRole('button', { name: 'Copy' }).click();
    await dialog().getByRole('status').getByText('Copied to the clipboard.').waitFor();
    await dialog().getByRole('button', { name: 'Close' }).click();
    await dialog().waitFor({ state: 'detached' });
    expect(await row('Production API Key (EU)').getByRole('cell').nth(0).textContent()).toBe(`lk_live_…${fresh.slice(-4)}`);
    expect((await meWith(t, secret)).status).toBe(200);
    expect((await meWith(t, fresh)).status).toBe(200);

    // The hour passes: the grace end is moved into the past and announced as every key change is.
    const conn = t.orm.em.getConnection();
    await conn.execute(`update api_keys set grace_expires_at = now() - interval '1 second' where id = ?`, [keyId]);
    await conn.execute('select pg_notify(?, ?)', ['latchkey_key_changes', JSON.stringify([{ key: keyId }])]);
    const deadline = Date.now() + 5_000;
    while ((await meWith(t, secret)).status !== 401 && Date.now() < deadline) await page.waitForTimeout(100);
    expect((await meWith(t, secret)).status).toBe(401);
    expect((await meWith(t, fresh)).status).toBe(200);
    secret = fresh;
  });

  it('the key’s detail view charts its usage by status class and says when and from where it was last used', async () => {
    await row('Production API Key (EU)').getByRole('link', { name: 'Production API Key (EU)' }).click();
    await page.getByRole('heading', { name: 'Production API Key (EU)', level: 1 }).waitFor();
    const usage = async () => {
      const res = await t.http.get(`/v1/api-keys/${keyId}/usage`).set('X-API-Key', account.key).expect(200);
      return (res.body.data.buckets as { count_2xx: number; count_4xx: number; count_5xx: number }[]).reduce((n, b) => n + b.count_2xx + b.count_4xx + b.count_5xx, 0);
    };
    // Counts land in batches: wait until the API has this test's requests, then until the chart shows the same.
    const deadline = Date.now() + 15_000;
    while ((await usage()) < 5 && Date.now() < deadline) await page.waitForTimeout(500);
    const total = await usage();
    expect(total).toBeGreaterThanOrEqual(5);
    await eventually(page, async () => ((await page.locator('figcaption').textContent()) ?? '').includes(`${total} requests`));
    // The caption renders with the data; uPlot draws its canvas in an effect right after.
    await page.locator('.u-wrap canvas').first().waitFor({ state: 'attached' });
    expect(await page.locator('.u-wrap canvas').count()).toBe(1);
    const lastUsed = await page.getByRole('definition').filter({ hasText: ' from ' }).textContent();
    expect(lastUsed).toMatch(/ from 127\.0\.0\.1$/);
    await checkPage(page, 'key-detail');
    await page.getByText('Last 30 days, per day').click();
    await page.locator('figcaption').getByText(`${total} requests`).waitFor();
    await nav('API Keys').click();
    await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();
  });

  it('revokes after Confirm: the API answers API_KEY_REVOKED', async () => {
    await row('Production API Key (EU)').getByRole('button', { name: 'Revoke' }).click();
    await dialog().getByRole('button', { name: 'Confirm' }).click();
    await row('Production API Key (EU)').getByText('Revoked').waitFor();
    // The API refuses the key; up to a second is allowed, the bound of the key cache's invalidation fan-out.
    const deadline = Date.now() + 1_000;
    while ((await meWith(t, secret)).status === 200 && Date.now() < deadline) await page.waitForTimeout(50);
    expect(await meWith(t, secret)).toMatchObject({ status: 401, code: 'API_KEY_REVOKED' });
    await row('Production API Key (EU)').getByRole('button', { name: 'Edit' }).waitFor({ state: 'detached' });
  });

  it('deletes after a confirmation that says the key was used in the last 7 days', async () => {
    await row('Production API Key (EU)').getByRole('button', { name: 'Delete' }).click();
    expect(await dialog().textContent()).toContain('This key was used in the last 7 days');
    await checkPage(page, 'delete-confirm');
    await dialog().getByRole('button', { name: 'Confirm' }).click();
    await row('Production API Key (EU)').waitFor({ state: 'detached' });
    await t.http.get(`/v1/api-keys/${keyId}`).set('X-API-Key', account.key).expect(404);
    // A key never used gets no such warning.
    await row('Staging key').getByRole('button', { name: 'Delete' }).click();
    expect(await dialog().textContent()).not.toContain('last 7 days');
    await dialog().getByRole('button', { name: 'Cancel' }).click();
  });

  it('Usage: a chart for the chosen key and every key’s totals', async () => {
    await nav('Usage').click();
    await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
    await page.getByLabel('Key').selectOption({ label: `Default key (lk_live_…${account.key.slice(-4)})` });
    await page.locator('figcaption').waitFor();
    expect(await page.getByRole('row').filter({ hasText: 'Staging key' }).count()).toBe(1);
    await checkPage(page, 'usage');
  });

  it('Audit log: every action above, by actor type user, exported as CSV and NDJSON, and verified', async () => {
    await nav('Audit log').click();
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    await page.getByLabel('Actor type').selectOption({ label: 'User' });
    const userActions = ['api_key.created', 'api_key.updated', 'api_key.deactivated', 'api_key.activated', 'api_key.regenerated', 'api_key.revoked', 'api_key.deleted'];
    // The filtered list replaces the unfiltered one: wait until it shows only user events, all of them. A reload
    // would drop the filter, so the page stays as it is.
    const filtered = async () => {
      const shown = await page.getByRole('row').allTextContents();
      return shown.length > 1 && shown.slice(1).every((r) => r.includes('User user_jane')) && userActions.every((a) => shown.some((r) => r.includes(a)));
    };
    await eventually(page, filtered, { reload: false });
    const rows = await page.getByRole('row').allTextContents();
    for (const action of userActions) {
      expect(rows.some((r) => r.includes(action))).toBe(true);
    }
    for (const r of rows.slice(1)) expect(r).toContain('User user_jane');
    await checkPage(page, 'audit');

    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const csvText = readFileSync((await csv.path())!, 'utf8');
    expect(csvText).toContain('api_key.deleted');
    expect(csvText).toContain('user_jane');
    expect(csvText).not.toContain(secret);
    const [ndjson] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export NDJSON' }).click()]);
    const events = readFileSync((await ndjson.path())!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action?: string; actor?: { type: string } });
    const actions = events.filter((e) => e.action).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['api_key.created', 'api_key.regenerated', 'api_key.deleted']));
    expect(events.filter((e) => e.actor).every((e) => e.actor!.type === 'user')).toBe(true);

    await page.getByRole('button', { name: 'Verify' }).click();
    const verdict = await page.getByRole('status').filter({ hasText: 'Chain verified' }).textContent();
    const api = await t.http.get('/v1/audit-events/verify').set('X-API-Key', account.key).expect(200);
    expect(api.body.data.ok).toBe(true);
    expect(verdict).toMatch(/^Chain verified: \d+ events checked, every link intact\.$/);
  });

  it('Account: plan, limits and keys used of the plan’s maximum; the Webhooks page lists no endpoint yet', async () => {
    await nav('Account').click();
    await page.getByRole('heading', { name: 'Plan' }).waitFor();
    const details = await page.locator('dl').first().textContent();
    expect(details).toContain('Pro');
    expect(details).toContain('60 requests a minute, 1,000 an hour');
    const overview = await t.http.get('/v1/account').set('X-API-Key', account.key).expect(200);
    expect(details).toContain(`${overview.body.data.key_count} of 5 used`);
    await checkPage(page, 'account');
    await nav('Webhooks').click();
    await page.getByText('No endpoints yet.').waitFor();
    await checkPage(page, 'webhooks');
  });

  it('a deep link opens its page directly; Sign out ends the session', async () => {
    await page.goto(page.url().replace(/\/console\/.*$/, '/console/audit'));
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: "Sign in through your provider's dashboard" }).waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('You have signed out.');
    await page.reload();
    await page.getByRole('heading', { name: "Sign in through your provider's dashboard" }).waitFor();
    expect(await page.evaluate(async () => (await fetch('/v1/me')).status)).toBe(401);
  });
});

import type { Browser, Page } from 'playwright-core';
import { createAccount } from '../utils/api';
import { createTestApp, type TestApp } from '../utils/test-app';
import { ensureConsoleBuilt } from './build';
import { checkPage, followPublicUrl, launchChromium, openContext, type ConsolePage } from './browser';
import { meWith, portalLink, signIn } from './portal';

/** What different sessions see: a free plan, an auditor, an ended session, and the operator's own console. */
describe('console: plans, scopes and the operator (browser e2e)', () => {
  let t: TestApp;
  let browser: Browser;
  const contexts: ConsolePage[] = [];

  const open = async () => {
    const c = await openContext(browser);
    c.page.setDefaultTimeout(10_000);
    contexts.push(c);
    return c;
  };
  const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true });
  const row = (page: Page, name: string) => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });

  beforeAll(async () => {
    ensureConsoleBuilt();
    [t, browser] = await Promise.all([createTestApp(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
  afterEach(async () => {
    for (const c of contexts.splice(0)) {
      expect(c.problems).toEqual([]);
      await c.context.close();
    }
  });

  it('a free-plan account sees the plan’s message', async () => {
    const free = await createAccount(t.http, t.operatorKey, { name: 'Freeloader', email: 'free@example.test', plan: 'free' });
    const { page } = await open();
    await signIn(page, (await portalLink(t, free.accountId)).url);
    const message = page.getByText('API access is not available on the Free plan. Upgrade to Pro.');
    await message.waitFor();
    expect(await message.count()).toBe(1);
    await checkPage(page, 'free-plan');
    await nav(page, 'Account').click();
    await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
    expect(await message.count()).toBe(1);
    // The key itself is refused by the API with the same sentence.
    const refused = await t.http.get('/v1/status').set('X-API-Key', free.key).expect(403);
    expect(refused.body.error).toBe('API access is not available on the Free plan. Upgrade to Pro.');
  });

  it('an auditor session (audit:read, keys:read) sees no create, edit or delete control, and the API refuses it', async () => {
    const acme = await createAccount(t.http, t.operatorKey, { name: 'Audited Inc', email: 'audit@example.test', plan: 'pro' });
    const { page } = await open();
    await signIn(page, (await portalLink(t, acme.accountId, { user: { id: 'auditor_1', name: 'Ann Auditor' }, scopes: ['audit:read', 'keys:read'] })).url);
    await row(page, 'Default key').waitFor();
    for (const name of ['Create API Key', 'Edit', 'Deactivate', 'Regenerate', 'Revoke', 'Delete']) {
      expect(await page.getByRole('button', { name }).count()).toBe(0);
    }
    await checkPage(page, 'auditor-keys');
    await row(page, 'Default key').getByRole('link', { name: 'Default key' }).click();
    await page.getByRole('heading', { name: 'Usage' }).waitFor();
    expect(await page.getByRole('button').filter({ hasText: /Edit|Delete|Revoke|Regenerate|Deactivate/ }).count()).toBe(0);
    await nav(page, 'Audit log').click();
    await page.getByRole('button', { name: 'Verify' }).waitFor();
    // Trying anyway, from the page with its own cookie: 403 INSUFFICIENT_SCOPE, and nothing changes.
    const attempt = await page.evaluate(async (id) => {
      const created = await fetch('/v1/api-keys', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'sneaky' }) });
      const deleted = await fetch(`/v1/api-keys/${id}`, { method: 'DELETE' });
      return [created.status, ((await created.json()) as { code: string }).code, deleted.status, ((await deleted.json()) as { code: string }).code];
    }, acme.keyId);
    expect(attempt).toEqual([403, 'INSUFFICIENT_SCOPE', 403, 'INSUFFICIENT_SCOPE']);
    expect((await meWith(t, acme.key)).status).toBe(200);
  });

  it('an ended session says so on its next request', async () => {
    const acme = await createAccount(t.http, t.operatorKey, { name: 'Ended Ltd', email: 'ended@example.test', plan: 'pro' });
    const { page } = await open();
    const link = await portalLink(t, acme.accountId);
    await signIn(page, link.url);
    await t.http.delete(`/v1/admin/portal-sessions/${link.sessionId}`).set('X-API-Key', t.operatorKey).expect(200);
    await nav(page, 'Usage').click();
    await page.getByText('Your session has ended. Sign in again.').waitFor();
    await checkPage(page, 'session-ended');
    // The link worked once: using it again is refused.
    await page.goto(link.url);
    await page.getByText('This sign-in link is invalid or has expired.').waitFor();
  });

  it('an operator session creates an account (first key shown once), changes its plan, suspends it and opens its console', async () => {
    const operatorAccount = (await t.http.get('/v1/me').set('X-API-Key', t.operatorKey).expect(200)).body.data.account.id;
    const c = await open();
    const { page } = c;
    await c.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await followPublicUrl(c.context, t);
    await signIn(page, (await portalLink(t, operatorAccount, { user: { id: 'op_ada', email: 'ada@operator.test', name: 'Ada' }, scopes: ['*', 'admin'] })).url);
    await nav(page, 'Accounts').click();
    await page.getByRole('heading', { name: 'Accounts', level: 1 }).waitFor();

    await page.getByRole('button', { name: 'Create account' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('Globex');
    await dialog.getByLabel('Email').fill('it@globex.test');
    await dialog.getByLabel('Plan').selectOption('pro');
    await checkPage(page, 'create-account');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    const firstKey = await dialog.getByLabel('API key').inputValue();
    expect(firstKey).toMatch(/^lk_live_/);
    await dialog.getByRole('button', { name: 'Copy' }).click();
    await dialog.getByText('Copied to the clipboard.').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
    const me = await t.http.get('/v1/me').set('X-API-Key', firstKey).expect(200);
    expect(me.body.data.account).toMatchObject({ name: 'Globex', plan: 'pro' });
    const globex = me.body.data.account.id as string;

    await row(page, 'Globex').getByRole('button', { name: 'Change plan' }).click();
    await dialog.getByLabel('Plan').selectOption('enterprise');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await row(page, 'Globex').getByText('enterprise').waitFor();
    expect((await t.http.get(`/v1/admin/accounts/${globex}`).set('X-API-Key', t.operatorKey)).body.data.plan).toBe('enterprise');

    await row(page, 'Globex').getByRole('button', { name: 'Suspend' }).click();
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await row(page, 'Globex').getByText('Suspended').waitFor();
    expect(await meWith(t, firstKey)).toMatchObject({ status: 403, code: 'ACCOUNT_SUSPENDED' });
    await checkPage(page, 'accounts');
    await row(page, 'Globex').getByRole('button', { name: 'Reactivate' }).click();
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await row(page, 'Globex').getByText('Active').waitFor();
    expect((await meWith(t, firstKey)).status).toBe(200);
    // The operator's own account cannot be suspended (the API answers 409), so it offers no Suspend.
    await row(page, 'Operator').getByRole('button', { name: 'Change plan' }).waitFor();
    expect(await row(page, 'Operator').getByRole('button', { name: 'Suspend' }).count()).toBe(0);

    await nav(page, 'Plans').click();
    await page.getByRole('heading', { name: 'Plans', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Create plan' }).click();
    await dialog.getByLabel('Slug').fill('team');
    await dialog.getByLabel('Name').fill('Team');
    await dialog.getByLabel('Maximum keys').fill('10');
    await dialog.getByLabel('Requests per minute').fill('120');
    await dialog.getByLabel('Requests per hour').fill('5000');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await row(page, 'Team').waitFor();
    await row(page, 'Team').getByRole('button', { name: 'Edit' }).click();
    await dialog.getByLabel('Name').fill('Team Plus');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await row(page, 'Team Plus').waitFor();
    expect((await t.http.get('/v1/admin/plans/team').set('X-API-Key', t.operatorKey)).body.data).toMatchObject({ name: 'Team Plus', max_keys: 10, rate_limit_per_minute: 120 });
    await checkPage(page, 'plans');

    // Open console: a portal session for Globex in the operator's name, opened in a new tab.
    await nav(page, 'Accounts').click();
    const [customer] = await Promise.all([c.context.waitForEvent('page'), row(page, 'Globex').getByRole('button', { name: 'Open console' }).click()]);
    await customer.getByRole('navigation', { name: 'Console' }).waitFor();
    expect(await customer.locator('.sidebar-account').textContent()).toBe('Globex');
    await customer.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();
    expect(await customer.getByRole('link', { name: 'Accounts' }).count()).toBe(0);
    await checkPage(customer, 'opened-console');
    const audit = await t.http.get('/v1/audit-events').set('X-API-Key', firstKey).query({ limit: 100 }).expect(200);
    expect(audit.body.data.map((e: { action: string }) => e.action)).toContain('portal_session.created');
    // The first tab shared the browser's one session cookie: it has stopped instead of acting on Globex.
    await page.getByText('This browser signed in to another account in another tab').waitFor();
  });
});

import type { Page } from 'playwright-core';
import type { TestApp } from '../utils/test-app';
import { onThisServer } from './browser';

/** A sign-in link for an account, made server to server with the operator key, as an operator's backend does. */
export async function portalLink(t: TestApp, accountId: string, body: { user?: { id: string; email?: string; name?: string }; scopes?: string[] } = {}): Promise<{ url: string; sessionId: string }> {
  const res = await t.http
    .post(`/v1/admin/accounts/${accountId}/portal-sessions`)
    .set('X-API-Key', t.operatorKey)
    .send({ user: { id: 'user_jane', email: 'jane@acme.test', name: 'Jane Doe' }, ...body });
  if (res.status !== 201) throw new Error(`portal session: ${res.status} ${JSON.stringify(res.body)}`);
  return { url: onThisServer(t, res.body.data.url), sessionId: res.body.data.id };
}

/** Follows a sign-in link and waits for the console to show its first page. */
export async function signIn(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
}

/** What the API answers to a key, as a customer's backend would see it. */
export async function meWith(t: TestApp, key: string): Promise<{ status: number; code?: string; keyId?: string }> {
  const res = await t.http.get('/v1/me').set('X-API-Key', key);
  return { status: res.status, code: res.body.code, keyId: res.body.data?.key?.id };
}

/**
 * Waits until `check` holds. By default it reloads between tries, for what the service records in the background;
 * `reload: false` keeps the page as it is, for state the page holds itself (a filter, say) while its list settles.
 */
export async function eventually(page: Page, check: () => Promise<boolean>, { timeoutMs = 15_000, reload = true } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await page.waitForTimeout(reload ? 500 : 100);
    if (reload) {
      await page.reload();
      await page.getByRole('main').waitFor();
    }
  }
}

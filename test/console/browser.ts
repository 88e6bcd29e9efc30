import AxeBuilder from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { TestApp } from '../utils/test-app';

/** Debian's Chromium; playwright-core never downloads a browser of its own. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const SCREENSHOTS = join(__dirname, '..', '..', 'test-results', 'console');

/** Chromium with a fresh profile of its own (Playwright makes one in a temp folder for every launch). */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000 });
}

export const baseUrl = (t: TestApp) => `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;

export interface ConsolePage {
  page: Page;
  context: BrowserContext;
  /** Everything the page's CSP refused and every script error, to assert there is none. */
  problems: string[];
}

/** A browser context of its own (its own cookie jar), in a fixed time zone, that records CSP violations and errors. */
export async function openContext(browser: Browser, timezoneId = 'Europe/Berlin'): Promise<ConsolePage> {
  const context = await browser.newContext({ timezoneId, locale: 'en-GB', viewport: { width: 1360, height: 900 }, acceptDownloads: true });
  const problems: string[] = [];
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = await context.newPage();
  watch(page, problems);
  context.on('page', (p) => watch(p, problems));
  return { page, context, problems };
}

function watch(page: Page, problems: string[]) {
  page.on('console', (m) => {
    // A refused request (401/403 the console shows as a sentence) is logged by Chromium as an error; the page's own errors are what count.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
}

/** The sign-in link the API made, on this test server's origin (the service's PUBLIC_URL names another port). */
export function onThisServer(t: TestApp, url: string): string {
  const link = new URL(url);
  return `${baseUrl(t)}${link.pathname}${link.hash}`;
}

/**
 * The test service listens on a free port, while its PUBLIC_URL keeps the default port: links the
 * console itself opens (Open console) are sent on to this server. A redirect keeps the #code= fragment.
 */
export async function followPublicUrl(context: BrowserContext, t: TestApp, publicUrl = 'http://127.0.0.1:3000'): Promise<void> {
  await context.route(`${publicUrl}/**`, (route) => route.fulfill({ status: 307, headers: { location: route.request().url().replace(publicUrl, baseUrl(t)) } }));
}

/** A screenshot to look at, and axe-core's verdict: no serious or critical violation. */
export async function checkPage(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)).toEqual([]);
}

/**
 * Copies a one-time secret from the open dialog, closes it, and proves the secret was on the
 * clipboard and lived in the dialog only: not in the page, storage, the address or a cookie.
 */
export async function copyAndCloseOneTimeSecret(page: Page, secret: string): Promise<void> {
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Copy' }).click();
  await dialog.getByRole('status').getByText('Copied to the clipboard.').waitFor();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await dialog.waitFor({ state: 'detached' });
  expect(await page.content()).not.toContain(secret);
  const kept = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }, location.href, document.cookie]));
  expect(kept).not.toContain(secret);
}

import type { Browser } from 'playwright-core';
import { createTestApp, type TestApp } from '../utils/test-app';
import { ensureConsoleBuilt } from './build';
import { baseUrl, checkPage, launchChromium, openContext } from './browser';

describe('console without a session (browser e2e)', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    ensureConsoleBuilt();
    [t, browser] = await Promise.all([createTestApp(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('asks to sign in through the provider’s dashboard, with nothing blocked by the CSP', async () => {
    const { page, problems, context } = await openContext(browser);
    await page.goto(`${baseUrl(t)}/console/`);
    // The page renders after it has asked the API for a session: wait for the heading, do not peek at once.
    await page.getByRole('heading', { name: "Sign in through your provider's dashboard" }).waitFor({ state: 'visible' });
    expect(await page.getByRole('main').count()).toBe(1);
    await checkPage(page, 'signed-out');
    expect(problems).toEqual([]);
    // The policy is enforced by the browser, and the watch above sees it: an inline style and a foreign image are refused.
    await page.evaluate(() => {
      const img = document.createElement('img');
      img.src = 'https://images.example.invalid/pixel.png';
      document.body.append(img);
      document.body.insertAdjacentHTML('beforeend', '<p style="color: red">inline</p>');
    });
    await page.waitForTimeout(200);
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^CSP violation: img-src/), expect.stringMatching(/^CSP violation: style-src/)]));
    expect(await page.locator('p[style]').evaluate((p) => getComputedStyle(p).color)).not.toBe('rgb(255, 0, 0)');
    await context.close();
  });

  it('a link whose code is invalid says so, and the code leaves the address bar at once', async () => {
    const { page, problems, context } = await openContext(browser);
    await page.goto(`${baseUrl(t)}/console/keys#code=pst_notARealCode`);
    await page.getByRole('alert').waitFor();
    expect(page.url()).toBe(`${baseUrl(t)}/console/keys`);
    expect(await page.getByRole('alert').textContent()).toBe('This sign-in link is invalid or has expired.');
    await checkPage(page, 'invalid-link');
    expect(problems).toEqual([]);
    await context.close();
  });
});

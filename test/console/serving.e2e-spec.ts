import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_DIST } from '../../src/console/console.module';
import { createTestApp, type TestApp } from '../utils/test-app';
import { ensureConsoleBuilt } from './build';

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

describe('the console is served at /console/ (e2e)', () => {
  let t: TestApp;
  let script: string;
  let stylesheet: string;
  beforeAll(async () => {
    ensureConsoleBuilt();
    const assets = readdirSync(join(CONSOLE_DIST, 'assets'));
    script = assets.find((f) => f.endsWith('.js'))!;
    stylesheet = assets.find((f) => f.endsWith('.css'))!;
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const expectSecurityHeaders = (headers: Record<string, string>) => {
    expect(headers['content-security-policy']).toBe(CSP);
    expect(headers['content-security-policy']).not.toMatch(/unsafe-(inline|eval)/);
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['x-content-type-options']).toBe('nosniff');
  };

  it('/console redirects to /console/', async () => {
    const res = await t.http.get('/console').expect(301);
    expect(res.headers.location).toBe('/console/');
    expectSecurityHeaders(res.headers);
    expect((await t.http.get('/console?x=1').expect(301)).headers.location).toBe('/console/?x=1');
  });

  it('/console/ answers the built index.html, never stored, with the security headers and no envelope', async () => {
    const res = await t.http.get('/console/').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-store');
    expectSecurityHeaders(res.headers);
    expect(res.text).toBe(readFileSync(join(CONSOLE_DIST, 'index.html'), 'utf8'));
    expect(res.text).toContain(`src="/console/assets/${script}"`);
    // Nothing inline for the CSP to refuse.
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.text).not.toMatch(/\sstyle=/);
    // The anonymous per-IP budget, like the documentation routes.
    expect(res.headers['ratelimit-policy']).toMatch(/q=300/);
  });

  it('hashed assets are cached for a year, with their content types', async () => {
    const js = await t.http.get(`/console/assets/${script}`).expect(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expectSecurityHeaders(js.headers);
    expect(js.headers.etag).toBeTruthy();
    const css = await t.http.get(`/console/assets/${stylesheet}`).expect(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await t.http.head(`/console/assets/${script}`).expect(200)).headers['content-length']).toBe(String(readFileSync(join(CONSOLE_DIST, 'assets', script)).length));
  });

  it('deep links answer index.html; a missing asset is a 404 with the contract body', async () => {
    for (const path of ['/console/keys', '/console/keys/key_abc123', '/console/audit/', '/console/some/deep/link']) {
      const res = await t.http.get(path).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.text).toContain('<div id="app"></div>');
    }
    const missing = await t.http.get('/console/assets/index-missing.js').expect(404);
    expect(missing.body).toEqual({ success: false, error: 'No such file.', code: 'NOT_FOUND', request_id: expect.any(String) });
    expect(missing.headers['cache-control']).toBe('no-store');
    expectSecurityHeaders(missing.headers);
    await t.http.get('/console/favicon.ico').expect(404);
  });

  it('nothing outside the build is reachable through the console path', async () => {
    for (const path of ['/console/..%2f..%2fpackage.json', '/console/%2e%2e/%2e%2e/package.json', '/console/assets/..%2f..%2f..%2f.data%2foperator.key']) {
      const res = await t.http.get(path);
      expect(res.text).not.toContain('"name": "latchkey"');
      expect(res.text).not.toContain(t.operatorKey);
    }
  });

  it('the API keeps its own headers: no console CSP on /v1 answers', async () => {
    const res = await t.http.get('/v1/me').expect(401);
    expect(res.headers['content-security-policy']).toBeUndefined();
  });
});

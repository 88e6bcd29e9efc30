import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccount } from './utils/api';
import { freePort } from './utils/service-process';
import { createTestApp, type TestApp } from './utils/test-app';

/** Debian's nginx (package `nginx`, built with the auth_request module). */
const NGINX = '/usr/sbin/nginx';

/** The config docs/forward-auth.md tells users to write, pointed at our ports; everything else stays in `dir`. */
function nginxConf(dir: string, port: number, servicePort: number, upstreamPort: number): string {
  return `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    location / {
      auth_request /_latchkey;
      auth_request_set $account $upstream_http_x_account_id;
      auth_request_set $key_id $upstream_http_x_key_id;
      auth_request_set $scopes $upstream_http_x_key_scopes;
      proxy_set_header X-Account-Id $account;
      proxy_set_header X-Key-Id $key_id;
      proxy_set_header X-Key-Scopes $scopes;
      proxy_pass http://127.0.0.1:${upstreamPort};
    }
    location = /_latchkey {
      internal;
      proxy_pass http://127.0.0.1:${servicePort}/v1/auth/check;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Forwarded-For $remote_addr;
    }
  }
}
`;
}

/** Resolves once something accepts connections on the port; rejects if nginx exits first. */
async function waitForPort(port: number, child: ChildProcess, why: () => string): Promise<void> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`nginx exited (${child.exitCode ?? child.signalCode}): ${why()}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => resolve(true)).on('error', () => resolve(false));
      socket.on('connect', () => socket.destroy());
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not listen on ${port} in 10 s: ${why()}`);
}

type Account = Awaited<ReturnType<typeof createAccount>>;

describe('forward auth behind a real nginx (e2e)', () => {
  let t: TestApp | undefined;
  let upstream: Server | undefined;
  let nginx: ChildProcess | undefined;
  let dir: string | undefined;
  let base: string;
  let pro: Account;
  let free: Account;
  /** What the protected upstream received; only requests nginx let through land here. */
  const seen: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    // Fail loudly, never skip: a missing nginx would otherwise look like a pass.
    if (!existsSync(NGINX)) {
      throw new Error(`${NGINX} not found: install Debian's nginx (apt-get install -y nginx); .ci/run does this in CI`);
    }
    // The service trusts X-Forwarded-For from nginx, as a deployment behind it would.
    t = await createTestApp({ TRUST_PROXY: '127.0.0.1' });
    const servicePort = (t.app.getHttpServer().address() as AddressInfo).port;

    // The "protected app": echoes the identity headers nginx added.
    upstream = createHttpServer((req, res) => {
      seen.push(req.headers);
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ account: req.headers['x-account-id'], key: req.headers['x-key-id'], scopes: req.headers['x-key-scopes'] }));
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    const upstreamPort = (upstream.address() as AddressInfo).port;

    // nginx with a prefix, config, pid, logs and temp paths of its own (nothing in /etc/nginx, no port 80).
    dir = mkdtempSync(join(tmpdir(), 'latchkey-nginx-'));
    chmodSync(dir, 0o755); // as root, workers run as `nobody` and must reach the temp paths
    const port = await freePort();
    writeFileSync(join(dir, 'nginx.conf'), nginxConf(dir, port, servicePort, upstreamPort));
    const stderr: string[] = [];
    nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
    nginx.stderr!.on('data', (d) => stderr.push(String(d)));
    const errorLog = join(dir, 'error.log');
    await waitForPort(port, nginx, () => stderr.join('') + (existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : ''));
    base = `http://127.0.0.1:${port}`;
    pro = await createAccount(t.http, t.operatorKey, { plan: 'pro' });
    free = await createAccount(t.http, t.operatorKey, { plan: 'free' });
  });

  afterAll(async () => {
    if (nginx && nginx.exitCode === null && nginx.signalCode === null) {
      const exited = once(nginx, 'exit');
      nginx.kill('SIGTERM'); // fast shutdown: the master stops its worker, then exits
      await exited;
    }
    if (upstream) {
      upstream.closeAllConnections();
      await new Promise((r) => upstream!.close(r));
    }
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const get = (headers: Record<string, string> = {}) => fetch(`${base}/orders?page=1`, { headers });

  it('lets a pro key through with its identity, by X-API-Key or Bearer', async () => {
    // A client-sent X-Account-Id must be overwritten by nginx, never trusted.
    const forms: Record<string, string>[] = [{ 'X-API-Key': pro.key, 'X-Account-Id': 'spoofed' }, { Authorization: `Bearer ${pro.key}` }];
    for (const headers of forms) {
      const before = seen.length;
      const res = await get(headers);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ account: pro.accountId, key: pro.keyId, scopes: '*' });
      expect(seen).toHaveLength(before + 1);
    }
  });

  it('answers a missing key with 401 and the service\'s WWW-Authenticate, without reaching the upstream', async () => {
    const before = seen.length;
    const res = await get();
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('X-API-Key');
    expect(seen).toHaveLength(before);
  });

  it.each([
    ['a made-up key', () => `lk_live_${'A1b2C3d4E5'.repeat(4)}abcdefgh`, 401],
    ['a free-plan key (no API access)', () => free.key, 403],
  ])('refuses %s without reaching the upstream', async (_label, key, status) => {
    const before = seen.length;
    expect((await get({ 'X-API-Key': key() })).status).toBe(status);
    expect(seen).toHaveLength(before);
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceProcess, START_FLAGS } from './utils/service-process';

/**
 * `npm start` with nothing configured: the built service on the embedded database in DATA_DIR.
 * Always embedded, whatever DATABASE_URL the test run has.
 */
describe('embedded database and first start (e2e, spawned service)', () => {
  let dataDir: string;
  const env = () => ({ DATA_DIR: dataDir, DATABASE_URL: undefined, KEY_SECRET: undefined, NODE_ENV: undefined, REDIS_URL: undefined });

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'latchkey-embedded-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('is spawned with the V8 flags of npm start, which the Dockerfile runs with too', () => {
    expect(START_FLAGS).toEqual(expect.arrayContaining([expect.stringMatching(/^--max-old-space-size=\d+$/)]));
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(join(__dirname, '..', 'Dockerfile'), 'utf8'))![1];
    expect(JSON.parse(cmd)).toEqual(['node', ...START_FLAGS, 'dist/src/main.js']);
  });

  it('starts, writes the operator key (0600, never logged), refuses a second process, and keeps data across restarts', async () => {
    const first = await ServiceProcess.start(env());
    let key: string;
    try {
      await first.ready();
      const keyFile = join(dataDir, 'operator.key');
      key = readFileSync(keyFile, 'utf8').trim();
      expect(key).toMatch(/^lk_live_[0-9A-Za-z]{48}$/);
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(statSync(join(dataDir, 'key-secret')).mode & 0o777).toBe(0o600);

      const me = await fetch(`${first.url}/v1/me`, { headers: { 'X-API-Key': key } });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { data: { account: { name: string } } }).data.account.name).toBe('Operator');

      const second = await ServiceProcess.start(env());
      expect(await second.exitCode()).toBe(1);
      expect(second.output.join('')).toContain(`DATA_DIR ${dataDir} is in use by another Latchkey process`);
    } finally {
      expect(await first.stop('SIGTERM')).toBe(0);
    }
    expect(first.output.join('')).not.toContain(key);

    const secret = readFileSync(join(dataDir, 'key-secret'), 'utf8');
    // While the service is stopped, the CLI makes a further operator key and prints it once.
    const cliKey = execFileSync(process.execPath, [join(__dirname, '..', 'dist', 'src', 'cli.js'), 'operator-key', 'create', '--name', 'Spare'], {
      env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '' },
      encoding: 'utf8',
    }).trim();
    expect(cliKey).toMatch(/^lk_live_[0-9A-Za-z]{48}$/);
    const again = await ServiceProcess.start(env());
    try {
      await again.ready();
      expect(readFileSync(join(dataDir, 'operator.key'), 'utf8').trim()).toBe(key);
      expect(readFileSync(join(dataDir, 'key-secret'), 'utf8')).toBe(secret);
      const me = await fetch(`${again.url}/v1/me`, { headers: { Authorization: `Bearer ${key}` } });
      expect(me.status).toBe(200);
      const spare = await fetch(`${again.url}/v1/me`, { headers: { 'X-API-Key': cliKey } });
      expect(((await spare.json()) as { data: { key: { name: string; scopes: string[] } } }).data.key).toMatchObject({ name: 'Spare', scopes: ['*', 'admin'] });
      // The uses before the stop were written at shutdown, not lost with the process.
      const keyId = ((await me.json()) as { data: { key: { id: string } } }).data.key.id;
      const view = await fetch(`${again.url}/v1/api-keys/${keyId}`, { headers: { 'X-API-Key': key } });
      expect(((await view.json()) as { data: { last_used_at: string | null } }).data.last_used_at).not.toBeNull();
    } finally {
      await again.stop();
    }
  });

  it.each([
    [{ PORT: '99999' }, 'PORT must be an integer from 0 to 65535'],
    [{ NODE_ENV: 'production', KEY_SECRET: undefined }, 'KEY_SECRET is required when NODE_ENV=production'],
    [{ TRUST_PROXY: 'nonsense' }, 'TRUST_PROXY'],
  ])('refuses to boot with %j, naming the variable', async (bad, sentence) => {
    const service = await ServiceProcess.start({ ...env(), DATA_DIR: join(dataDir, 'bad'), ...bad });
    expect(await service.exitCode()).toBe(1);
    const output = service.output.join('');
    expect(output).toContain(sentence);
    expect(output).not.toMatch(/\n\s+at /);
  });
});

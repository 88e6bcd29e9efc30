import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './configuration';
import { ConfigurationError, validateEnvironment } from './environment';

describe('configuration', () => {
  it('starts with nothing set', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({ port: 3000, host: '127.0.0.1', trustProxy: [] });
    expect(config.keys.prefix).toBe('lk');
    expect(config.database.url).toBeUndefined();
    expect(config.database.migrateOnStart).toBe(true);
    expect(config.operator.keyFile).toMatch(/\.data\/operator\.key$/);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL'],
    [{ KEY_PREFIX: 'LK_' }, 'KEY_PREFIX'],
    [{ KEY_SECRET: 'short' }, 'KEY_SECRET'],
    [{ TRUST_PROXY: '10.0.0.0/8,not-an-ip' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
    [{ MIGRATE_ON_START: 'maybe' }, 'MIGRATE_ON_START'],
    [{ NODE_ENV: 'production' }, 'KEY_SECRET'],
    [{ PUBLIC_URL: 'keys.example.com' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'ftp://keys.example.com' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'https://keys.example.com/?a=1' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'https://user:pw@keys.example.com' }, 'PUBLIC_URL'],
  ])('refuses %j with a sentence naming %s', (env, name) => {
    expect(() => validateEnvironment(env)).toThrow(ConfigurationError);
    expect(() => validateEnvironment(env)).toThrow(name);
  });

  it('accepts IPv4 and IPv6 proxies and ranges, and the formats other products use', () => {
    const config = loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.1,::1,fd00::/8', KEY_PREFIX: 'vsk', MIGRATE_ON_START: 'false' });
    expect(config.http.trustProxy).toEqual(['10.0.0.0/8', '192.168.1.1', '::1', 'fd00::/8']);
    expect(config.keys.prefix).toBe('vsk');
    expect(config.database.migrateOnStart).toBe(false);
  });

  it('serves the console at PUBLIC_URL, by default the listen address', () => {
    expect(loadConfig({}).portal).toEqual({ publicUrl: 'http://127.0.0.1:3000', origin: 'http://127.0.0.1:3000', secureCookie: false });
    expect(loadConfig({ HOST: '0.0.0.0', PORT: '8080' }).portal.publicUrl).toBe('http://127.0.0.1:8080');
    expect(loadConfig({ HOST: '::' }).portal.origin).toBe('http://[::1]:3000');
    expect(loadConfig({ PUBLIC_URL: 'https://Keys.Example.com/latchkey/' }).portal).toEqual({
      publicUrl: 'https://Keys.Example.com/latchkey', origin: 'https://keys.example.com', secureCookie: true,
    });
  });

  describe('secret scanning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-config-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const ed25519 = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();

    it('is off without SECRET_SCANNING_KEYS_FILE, revokes by default, and reads a keys file in GitHub\'s shape', () => {
      expect(loadConfig({}).secretScanning).toEqual({ keys: [], leakedKeyAction: 'revoke' });
      const path = file('good.json', JSON.stringify({ public_keys: [{ key_identifier: 'abc', key: p256, is_current: true }] }));
      const config = loadConfig({ SECRET_SCANNING_KEYS_FILE: path, LEAKED_KEY_ACTION: 'notify' }).secretScanning;
      expect(config.keysFile).toBe(path);
      expect(config.leakedKeyAction).toBe('notify');
      expect(config.keys.map((k) => [k.identifier, k.isCurrent])).toEqual([['abc', true]]);
    });

    it.each([
      ['missing.json', null],
      ['not-json.json', '{'],
      ['empty.json', '{"public_keys": []}'],
      ['no-id.json', JSON.stringify({ public_keys: [{ key: p256 }] })],
      ['not-pem.json', JSON.stringify({ public_keys: [{ key_identifier: 'a', key: 'nope' }] })],
      ['wrong-curve.json', JSON.stringify({ public_keys: [{ key_identifier: 'a', key: ed25519 }] })],
    ])('refuses %s at boot with a sentence naming SECRET_SCANNING_KEYS_FILE', (name, text) => {
      const path = text === null ? join(dir, name) : file(name, text);
      expect(() => loadConfig({ SECRET_SCANNING_KEYS_FILE: path })).toThrow(ConfigurationError);
      expect(() => loadConfig({ SECRET_SCANNING_KEYS_FILE: path })).toThrow('SECRET_SCANNING_KEYS_FILE');
    });

    it('refuses an unknown LEAKED_KEY_ACTION', () => {
      expect(() => validateEnvironment({ LEAKED_KEY_ACTION: 'delete' })).toThrow('LEAKED_KEY_ACTION');
    });
  });
});

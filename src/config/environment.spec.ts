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
});

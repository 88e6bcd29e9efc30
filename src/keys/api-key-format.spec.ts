import { createSecretKey } from 'node:crypto';
import fc from 'fast-check';
import { BASE62_ALPHABET } from '../common/crypto/base62';
import { ApiKeyFormat } from './api-key-format';
import { KeyEnvironment } from '../common/auth/environment';

const format = new ApiKeyFormat('lk', createSecretKey(Buffer.alloc(32, 7)));
const environments = fc.constantFrom(KeyEnvironment.Live, KeyEnvironment.Test);

describe('ApiKeyFormat', () => {
  it('generates {prefix}_{environment}_{48 base62} with prefix and last4 for display', () => {
    const key = format.generate(KeyEnvironment.Live);
    expect(key.key).toMatch(/^lk_live_[0-9A-Za-z]{48}$/);
    expect(key.displayPrefix).toBe('lk_live_');
    expect(key.last4).toBe(key.key.slice(-4));
  });

  it('parses every key it generates', () => {
    fc.assert(
      fc.property(environments, (env) => {
        const key = format.generate(env);
        expect(format.parse(key.key)).toEqual(key);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses every single-character change through the check tag', () => {
    fc.assert(
      fc.property(environments, fc.nat(), fc.constantFrom(...BASE62_ALPHABET), (env, at, replacement) => {
        const key = format.generate(env).key;
        const bodyStart = key.length - 48;
        const i = bodyStart + (at % 48);
        fc.pre(key[i] !== replacement);
        const mistyped = key.slice(0, i) + replacement + key.slice(i + 1);
        expect(format.parse(mistyped)).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a key with another environment, prefix or server secret', () => {
    const key = format.generate(KeyEnvironment.Test).key;
    expect(format.parse(key.replace('_test_', '_live_'))).toBeNull();
    expect(new ApiKeyFormat('sk', createSecretKey(Buffer.alloc(32, 7))).parse(key)).toBeNull();
    expect(new ApiKeyFormat('lk', createSecretKey(Buffer.alloc(32, 8))).parse(key)).toBeNull();
  });

  it('never accepts arbitrary strings (no throw, no false positive)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (s) => {
        expect(format.parse(s)).toBeNull();
      }),
      { numRuns: 2000 },
    );
    expect(format.parse(`lk_live_${'a'.repeat(10_000)}`)).toBeNull();
    const key = format.generate(KeyEnvironment.Live).key;
    expect(format.parse(`${key.slice(0, 10)}\u043e${key.slice(11)}`)).toBeNull(); // Cyrillic "o" homoglyph
  });

  it('is unpredictable: 1,000 generated keys are distinct', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => format.generate(KeyEnvironment.Live).key));
    expect(keys.size).toBe(1000);
  });
});

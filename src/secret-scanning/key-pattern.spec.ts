import { createSecretKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyEnvironment } from '../common/auth/environment';
import { randomBase62 } from '../common/crypto/base62';
import { ApiKeyFormat } from '../keys/api-key-format';
import { keyPattern } from './key-pattern';

const format = new ApiKeyFormat('lk', createSecretKey(randomBytes(32)));
const finds = (text: string) => text.match(new RegExp(keyPattern('lk'), 'g')) ?? [];
const b62 = (n: number) => randomBase62(n);

/** Other vendors' token formats, and near misses of our own. None may match. */
const CORPUS = [
  `sk_live_${b62(24)}`, `sk_live_${b62(48)}`, `sk_test_${b62(48)}`, `rk_live_${b62(48)}`, `pk_live_${b62(48)}`, `whsec_${b62(32)}`,
  `ghp_${b62(36)}`, `gho_${b62(36)}`, `ghs_${b62(36)}`, `github_pat_11${b62(20)}_${b62(59)}`,
  'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', `ASIA${b62(16).toUpperCase()}`,
  `xoxb-123456789012-1234567890123-${b62(24)}`, `xoxp-${b62(40)}`, `AIza${b62(35)}`,
  `sk-${b62(48)}`, `sk-proj-${b62(48)}`, `AC${'a1'.repeat(16)}`, `SK${'0f'.repeat(16)}`,
  `SG.${b62(22)}.${b62(43)}`, 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  '123e4567-e89b-12d3-a456-426614174000', b62(48), b62(61), `glpat-${b62(20)}`, `npm_${b62(36)}`, `pypi-${b62(60)}`,
  `lk_live_${b62(47)}`, `lk_live_${b62(49)}`, `lk_prod_${b62(48)}`, `lk_Live_${b62(48)}`, `LK_live_${b62(48)}`, `lk-live-${b62(48)}`,
  `xlk_live_${b62(48)}`, `lk_live_${b62(48)}_x`, `sk_live_${b62(48)}`.replace('sk', 'vs'), `lk_live_${b62(40)}-${b62(7)}`,
];

describe('the key pattern for secret scanners', () => {
  it.each([KeyEnvironment.Live, KeyEnvironment.Test])('matches every generated %s key, alone and inside text', (environment) => {
    for (let i = 0; i < 2000; i++) {
      const { key } = format.generate(environment);
      expect(finds(key)).toEqual([key]);
      expect(finds(`API_KEY="${key}"\n`)).toEqual([key]);
      expect(finds(`https://x.test/?k=${key}&y=1 ${key}`)).toEqual([key, key]);
    }
  });

  it('matches nothing in a corpus of other vendors\' tokens and near misses', () => {
    for (const token of CORPUS) {
      expect(finds(token)).toEqual([]);
      expect(finds(`token: ${token}\n`)).toEqual([]);
    }
  });

  it('follows KEY_PREFIX', () => {
    const vsk = new ApiKeyFormat('vsk', createSecretKey(randomBytes(32))).generate(KeyEnvironment.Live).key;
    expect(vsk.match(new RegExp(keyPattern('vsk')))?.[0]).toBe(vsk);
    expect(finds(vsk)).toEqual([]);
  });

  it('is the expression the published gitleaks and trufflehog rules carry', () => {
    const docs = join(__dirname, '../../docs/scanning');
    expect(readFileSync(join(docs, 'gitleaks.toml'), 'utf8')).toContain(`'''${keyPattern('lk')}'''`);
    expect(readFileSync(join(docs, 'trufflehog.yaml'), 'utf8')).toContain(`'${keyPattern('lk')}'`);
  });
});

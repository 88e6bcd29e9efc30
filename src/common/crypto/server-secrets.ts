import { createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Keys derived from KEY_SECRET, one per purpose, so that a check tag, a stored key hash and an
 * audit-chain link can never be confused for one another.
 */
export class ServerSecrets {
  readonly checkTagKey: KeyObject;
  readonly keyHashKey: KeyObject;
  readonly auditChainKey: KeyObject;

  constructor(secret: string) {
    // Key objects, made once: an HMAC over a raw Buffer key converts the key on every call.
    const derive = (info: string) => createSecretKey(Buffer.from(hkdfSync('sha256', secret, 'latchkey', info, 32)));
    this.checkTagKey = derive('api-key check tag v1');
    this.keyHashKey = derive('api-key hash v1');
    this.auditChainKey = derive('audit chain v1');
  }
}

/**
 * KEY_SECRET when set; otherwise the secret generated into DATA_DIR on first start (mode 0600)
 * and reused afterwards. Production refuses to start without KEY_SECRET (see config).
 */
export function resolveKeySecret(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = join(dataDir, 'key-secret');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, randomBytes(32).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < 32) throw new Error(`${file} does not hold a usable secret; remove it or set KEY_SECRET.`);
  return secret;
}

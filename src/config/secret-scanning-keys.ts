import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigurationError } from './environment';

/** One of GitHub's secret scanning signing keys (`GET /meta/public_keys/secret_scanning`). */
export interface ScanningPublicKey {
  identifier: string;
  key: KeyObject;
  isCurrent: boolean;
}

const MAX_FILE_BYTES = 1024 * 1024;

/**
 * Reads and checks the file named by SECRET_SCANNING_KEYS_FILE: GitHub's
 * `{public_keys: [{key_identifier, key, is_current}]}`, each key an ECDSA P-256 public key in PEM.
 * Throws a ConfigurationError naming the variable when the file is missing, unreadable or wrong.
 */
export function readScanningKeys(path: string): ScanningPublicKey[] {
  const problem = (why: string) => new ConfigurationError(`Invalid configuration: SECRET_SCANNING_KEYS_FILE (${path}) ${why}.`);
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_FILE_BYTES) throw problem('is larger than 1 MiB');
    text = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof ConfigurationError) throw err;
    throw problem(`cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw problem('is not JSON');
  }
  const list = (parsed as { public_keys?: unknown } | null)?.public_keys;
  if (!Array.isArray(list) || list.length === 0) throw problem('must hold {"public_keys": [...]} with at least one key, as GitHub publishes it');
  return list.map((entry: unknown, i) => {
    const { key_identifier: identifier, key, is_current: isCurrent } = (entry ?? {}) as Record<string, unknown>;
    if (typeof identifier !== 'string' || !identifier || identifier.length > 256) throw problem(`public_keys[${i}].key_identifier must be a non-empty string`);
    if (typeof key !== 'string') throw problem(`public_keys[${i}].key must be a PEM public key`);
    let object: KeyObject;
    try {
      object = createPublicKey(key);
    } catch {
      throw problem(`public_keys[${i}].key is not a PEM public key`);
    }
    if (object.asymmetricKeyType !== 'ec' || object.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw problem(`public_keys[${i}].key is not an ECDSA P-256 key`);
    }
    return { identifier, key: object, isCurrent: isCurrent === true };
  });
}

import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { verify } from 'node:crypto';
import { type Stats, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { AppConfig } from '../config/configuration';
import { readScanningKeys, type ScanningPublicKey } from '../config/secret-scanning-keys';

/** A DER ECDSA P-256 signature is at most 72 bytes: 96 characters of base64. Longer headers are refused unread. */
const MAX_SIGNATURE_CHARS = 200;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * GitHub's secret scanning public keys, from SECRET_SCANNING_KEYS_FILE: checked at boot (a bad file
 * stops the service), then re-read whenever the file changes, so a rotation by GitHub needs only a
 * new file (fetched from `GET /meta/public_keys/secret_scanning`), not a restart. A broken
 * replacement is logged and the keys read last stay in use.
 */
@Injectable()
export class GithubKeys {
  private readonly logger = new Logger('SecretScanning');
  private readonly file?: string;
  private keys: ScanningPublicKey[];
  private version = '';

  constructor(config: ConfigService<AppConfig, true>) {
    const scanning = config.get('secretScanning', { infer: true });
    this.file = scanning.keysFile;
    this.keys = scanning.keys;
    if (this.file) this.version = fileVersion(statSync(this.file));
  }

  /** Whether reports are accepted at all (SECRET_SCANNING_KEYS_FILE is set). */
  get enabled(): boolean {
    return this.file !== undefined;
  }

  /** Whether `signature` (base64 DER) is a signature of `body` by the key GitHub names `identifier`. */
  async verify(identifier: string, signature: string, body: Buffer): Promise<boolean> {
    if (!identifier || identifier.length > 256 || !signature || signature.length > MAX_SIGNATURE_CHARS || !BASE64.test(signature)) return false;
    await this.reloadIfChanged();
    const known = this.keys.find((k) => k.identifier === identifier);
    if (!known) return false;
    try {
      return verify('sha256', body, { key: known.key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
    } catch {
      return false;
    }
  }

  private async reloadIfChanged(): Promise<void> {
    if (!this.file) return;
    let version: string;
    try {
      version = fileVersion(await stat(this.file));
    } catch (err) {
      this.logger.warn(`SECRET_SCANNING_KEYS_FILE cannot be read (${(err as NodeJS.ErrnoException).code}); the keys read last stay in use`);
      return;
    }
    if (version === this.version) return;
    try {
      this.keys = readScanningKeys(this.file);
      this.logger.log(`Secret scanning keys reloaded: ${this.keys.map((k) => k.identifier.slice(0, 16)).join(', ')}`);
    } catch (err) {
      this.logger.warn(`${(err as Error).message} The keys read last stay in use.`);
    }
    this.version = version;
  }
}

const fileVersion = (s: Stats) => `${s.ino}:${s.size}:${s.mtimeMs}`;

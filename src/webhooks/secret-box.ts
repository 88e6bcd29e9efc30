import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ServerSecrets } from '../common/crypto/server-secrets';

const VERSION = 'v1';

/**
 * Endpoint signing secrets must be recoverable to sign, so they are encrypted (AES-256-GCM) under a
 * key derived from the server secret, with the endpoint id as associated data: a ciphertext moved
 * to another row does not decrypt.
 */
@Injectable()
export class SecretBox {
  private readonly key: Buffer;

  constructor(secrets: ServerSecrets) {
    this.key = Buffer.from(hkdfSync('sha256', secrets.keyHashKey.export(), 'latchkey', 'webhook signing secrets v1', 32));
  }

  seal(plaintext: string, endpointId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(endpointId));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), sealed.toString('base64url')].join('.');
  }

  open(ciphertext: string, endpointId: string): string {
    const [version, iv, tag, sealed] = ciphertext.split('.');
    if (version !== VERSION || !iv || !tag || sealed === undefined) throw new Error('Unreadable webhook secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url')).setAAD(Buffer.from(endpointId));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/** A new signing secret: `whsec_` and base64 of 32 random bytes (the Standard Webhooks form). */
export const newSigningSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

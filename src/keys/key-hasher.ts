import { Injectable } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { ServerSecrets } from '../common/crypto/server-secrets';

/** Keys are stored only as HMAC-SHA-256 under a server secret, never in a form that can be reversed. */
@Injectable()
export class KeyHasher {
  constructor(private readonly secrets: ServerSecrets) {}

  hash(key: string): string {
    return createHmac('sha256', this.secrets.keyHashKey).update(key).digest('hex');
  }
}

import { Injectable } from '@nestjs/common';
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { randomBase62 } from '../common/crypto/base62';
import { ServerSecrets } from '../common/crypto/server-secrets';

/** One-time sign-in codes: `pst_` and 43 base62 characters (~256 bits). */
export const CODE_SHAPE = /^pst_[0-9A-Za-z]{43}$/;
/** Session cookie values: 43 base62 characters (~256 bits), opaque. */
export const TOKEN_SHAPE = /^[0-9A-Za-z]{43}$/;

export const newSessionId = () => `ps_${randomBase62(22)}`;
export const newCode = () => `pst_${randomBase62(43)}`;
export const newToken = () => randomBase62(43);

/**
 * Codes and session tokens are stored only as HMAC-SHA-256 under a key of their own, derived from
 * the key-hash key, so a stored session hash can never stand for a key hash (or the reverse).
 */
@Injectable()
export class PortalHasher {
  private readonly key: KeyObject;

  constructor(secrets: ServerSecrets) {
    this.key = createSecretKey(createHmac('sha256', secrets.keyHashKey).update('portal session v1').digest());
  }

  hash(secret: string): string {
    return createHmac('sha256', this.key).update(secret).digest('hex');
  }
}

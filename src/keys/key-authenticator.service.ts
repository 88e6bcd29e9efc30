import { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import type { Principal } from '../common/auth/principal';
import type { KeyEnvironment } from '../common/auth/environment';
import { ErrorCode } from '../common/errors/error-code';
import { nativeQuery } from '../database/native-query';
import { ApiKeyFormat } from './api-key-format';
import { type AuthRecord, loadAuthRecords } from './auth-record';
import { AuthRecordLoader } from './auth-record-loader';
import { KeyCache } from './key-cache';
import { KeyHasher } from './key-hasher';

export type AuthFailure = {
  ok: false;
  code: ErrorCode;
  message?: string;
  accountId?: string;
  keyId?: string;
  environment?: KeyEnvironment;
};
export type AuthOutcome = { ok: true; principal: Readonly<Principal> } | AuthFailure;

/** Unknown, deleted and bad-check-tag keys must be indistinguishable: one outcome for all three. */
export const INVALID_KEY: AuthFailure = Object.freeze({ ok: false, code: ErrorCode.Unauthorized, message: 'API key is invalid' });

/** A key as first read from a request: its keyed hash, and whether its check tag was found right. */
export interface PresentedKey {
  key: string;
  hash: string;
  tagChecked: boolean;
}

/** Where a request comes from, for a key's IP and referrer restrictions. */
export interface ClientContext {
  ip: string | null;
  origin: string | null;
  referer: string | null;
}

/**
 * Decides whether a presented key may act, and as whom: the cache of verified keys first, then
 * the check tag (no database), then an indexed lookup (batched with the other misses of the moment).
 */
@Injectable()
export class KeyAuthenticator {
  private readonly loader: AuthRecordLoader;

  constructor(
    em: EntityManager,
    private readonly format: ApiKeyFormat,
    private readonly hasher: KeyHasher,
    private readonly cache: KeyCache,
  ) {
    const query = nativeQuery(em);
    this.loader = new AuthRecordLoader((hashes) => loadAuthRecords(query, hashes), cache);
  }

  /** `known` is what the forged-key hook already computed for this key on this request, if anything. */
  async authenticate(presented: string, known?: PresentedKey, now = new Date()): Promise<AuthOutcome> {
    if (!known && !this.format.hasShape(presented)) return INVALID_KEY;
    const hash = known?.hash ?? this.hasher.hash(presented);
    let record = this.cache.get(hash);
    if (!record) {
      // A key that is not cached must carry a right check tag before it costs a database query;
      // a cached one had it when it was cached.
      if (!known?.tagChecked && !this.format.parse(presented)) return INVALID_KEY;
      // The generation is read by the loader before its query is sent.
      const loaded = await this.loader.load(hash);
      if (!loaded.record) return INVALID_KEY;
      record = loaded.record;
      this.cache.set(hash, record, loaded.generation);
    }
    return this.evaluate(record, hash, now);
  }

  /**
   * A key read from a request, or null when it is refused on its face (shape, prefix, check tag): no
   * database is needed to say so. A key the cache holds is known to have had a right check tag when
   * it was cached, so only the keyed hash is computed for it: one HMAC per request on the hot path.
   */
  present(key: string): PresentedKey | null {
    if (!this.format.hasShape(key)) return null;
    const hash = this.hasher.hash(key);
    if (this.cache.holds(hash)) return { key, hash, tagChecked: false };
    return this.format.parse(key) ? { key, hash, tagChecked: true } : null;
  }

  /** The key's IP and referrer restrictions against where the request comes from. */
  checkClient(principal: Principal, client: ClientContext): AuthFailure | null {
    if (!principal.ips.allows(client.ip)) return { ok: false, code: ErrorCode.IpNotAllowed, keyId: principal.keyId, accountId: principal.accountId };
    if (!principal.referrers.allows(client.origin, client.referer)) {
      return { ok: false, code: ErrorCode.ReferrerNotAllowed, keyId: principal.keyId, accountId: principal.accountId };
    }
    return null;
  }

  private evaluate(record: AuthRecord, hash: string, now: Date): AuthOutcome {
    // The record was found by this very hash (cache key or index lookup), so a plain comparison only
    // tells the current secret from the one in its grace period; it guards nothing secret.
    const current = record.secretHash === hash;
    const inGrace = !current && record.graceSecretHash === hash && record.graceExpiresAt !== null && record.graceExpiresAt > now;
    const principal = current ? record.principal : inGrace ? record.gracePrincipal : null;
    if (!principal) return INVALID_KEY;
    const who = { accountId: principal.accountId, keyId: principal.keyId, environment: principal.environment };
    if (record.revokedAt) return { ok: false, code: ErrorCode.ApiKeyRevoked, ...who };
    if (record.expiresAt && record.expiresAt <= now) return { ok: false, code: ErrorCode.ApiKeyExpired, ...who };
    if (!record.active) return { ok: false, code: ErrorCode.ApiKeyInactive, ...who };
    if (record.accountSuspended) return { ok: false, code: ErrorCode.AccountSuspended, ...who };
    // The operator account never loses API access through a plan: its keys are how plans get fixed.
    if (!record.apiAccess && !principal.isOperatorAccount) {
      return { ok: false, code: ErrorCode.Forbidden, message: `API access is not available on the ${record.planName} plan. Upgrade to Pro.`, ...who };
    }
    return { ok: true, principal };
  }
}

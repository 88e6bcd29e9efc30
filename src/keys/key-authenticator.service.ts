import { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import type { Principal } from '../common/auth/principal';
import type { KeyEnvironment } from './api-key.entity';
import { ErrorCode } from '../common/errors/error-code';
import { ApiKeyFormat } from './api-key-format';
import { type AuthRecord, loadAuthRecord } from './auth-record';
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
export type AuthOutcome = { ok: true; principal: Principal } | AuthFailure;

/** Unknown, deleted and bad-check-tag keys must be indistinguishable: one outcome for all three. */
export const INVALID_KEY: AuthFailure = Object.freeze({ ok: false, code: ErrorCode.Unauthorized, message: 'API key is invalid' });

/** Where a request comes from, for a key's IP and referrer restrictions. */
export interface ClientContext {
  ip: string | null;
  origin: string | null;
  referer: string | null;
}

/**
 * Decides whether a presented key may act, and as whom: check tag first (no database), then the
 * cache of verified keys, then one indexed lookup.
 */
@Injectable()
export class KeyAuthenticator {
  constructor(
    private readonly em: EntityManager,
    private readonly format: ApiKeyFormat,
    private readonly hasher: KeyHasher,
    private readonly cache: KeyCache,
  ) {}

  async authenticate(presented: string, now = new Date()): Promise<AuthOutcome> {
    const parsed = this.format.parse(presented);
    if (!parsed) return INVALID_KEY;
    const hash = this.hasher.hash(parsed.key);
    let record = this.cache.get(hash);
    if (!record) {
      const generation = this.cache.begin();
      record = (await loadAuthRecord(this.em.fork(), hash)) ?? undefined;
      if (!record) return INVALID_KEY;
      this.cache.set(hash, record, generation);
    }
    return this.evaluate(record, hash, now);
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
    const current = this.hasher.same(record.secretHash, hash);
    const inGrace =
      !current &&
      record.graceSecretHash !== null &&
      this.hasher.same(record.graceSecretHash, hash) &&
      record.graceExpiresAt !== null &&
      record.graceExpiresAt > now;
    if (!current && !inGrace) return INVALID_KEY;
    const who = { accountId: record.accountId, keyId: record.keyId, environment: record.environment };
    if (record.revokedAt) return { ok: false, code: ErrorCode.ApiKeyRevoked, ...who };
    if (record.expiresAt && record.expiresAt <= now) return { ok: false, code: ErrorCode.ApiKeyExpired, ...who };
    if (!record.active) return { ok: false, code: ErrorCode.ApiKeyInactive, ...who };
    if (record.accountSuspended) return { ok: false, code: ErrorCode.AccountSuspended, ...who };
    // The operator's own keys never lose API access through a plan: they are how plans get fixed.
    if (!record.apiAccess && !record.isOperator) {
      return { ok: false, code: ErrorCode.Forbidden, message: `API access is not available on the ${record.planName} plan. Upgrade to Pro.`, ...who };
    }
    return {
      ok: true,
      principal: {
        keyId: record.keyId,
        keyName: record.keyName,
        environment: record.environment,
        scopes: record.scopes,
        accountId: record.accountId,
        accountName: record.accountName,
        accountEmail: record.accountEmail,
        isOperator: record.isOperator,
        planSlug: record.planSlug,
        rateLimitPerMinute: record.rateLimitPerMinute,
        rateLimitPerHour: record.rateLimitPerHour,
        ips: record.ips,
        referrers: record.referrers,
      },
    };
  }
}

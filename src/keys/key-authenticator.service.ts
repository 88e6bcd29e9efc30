import { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { AccountStatus } from '../accounts/account.entity';
import type { Principal } from '../common/auth/principal';
import { ErrorCode } from '../common/errors/error-code';
import { ApiKeyFormat } from './api-key-format';
import { ApiKey } from './api-key.entity';
import { KeyHasher } from './key-hasher';

export type AuthOutcome =
  | { ok: true; principal: Principal }
  | { ok: false; code: ErrorCode; message?: string; accountId?: string; keyId?: string };

/** Unknown, deleted and bad-check-tag keys must be indistinguishable: one outcome for all three. */
export const INVALID_KEY: AuthOutcome = Object.freeze({ ok: false, code: ErrorCode.Unauthorized, message: 'API key is invalid' });

/** Decides whether a presented key may act, and as whom. Request-specific rules live in the guard. */
@Injectable()
export class KeyAuthenticator {
  constructor(
    private readonly em: EntityManager,
    private readonly format: ApiKeyFormat,
    private readonly hasher: KeyHasher,
  ) {}

  async authenticate(presented: string, now = new Date()): Promise<AuthOutcome> {
    const parsed = this.format.parse(presented);
    if (!parsed) return INVALID_KEY;
    const hash = this.hasher.hash(parsed.key);
    const key = await this.em.fork().findOne(
      ApiKey,
      { $or: [{ secretHash: hash }, { graceSecretHash: hash }] },
      { populate: ['account.plan', 'secretHash', 'graceSecretHash'] },
    );
    if (!key) return INVALID_KEY;
    const current = this.hasher.same(key.secretHash, hash);
    if (!current && !(key.graceSecretHash && this.hasher.same(key.graceSecretHash, hash) && key.graceExpiresAt && key.graceExpiresAt > now)) {
      return INVALID_KEY;
    }
    const account = key.account.getEntity();
    const plan = account.plan;
    const who = { accountId: account.id, keyId: key.id };
    if (key.revokedAt) return { ok: false, code: ErrorCode.ApiKeyRevoked, ...who };
    if (key.expiresAt && key.expiresAt <= now) return { ok: false, code: ErrorCode.ApiKeyExpired, ...who };
    if (!key.active) return { ok: false, code: ErrorCode.ApiKeyInactive, ...who };
    if (account.status === AccountStatus.Suspended) return { ok: false, code: ErrorCode.AccountSuspended, ...who };
    if (!plan.apiAccess) {
      return {
        ok: false,
        code: ErrorCode.Forbidden,
        message: `API access is not available on the ${plan.name} plan. Upgrade to Pro.`,
        ...who,
      };
    }
    return {
      ok: true,
      principal: {
        keyId: key.id,
        keyName: key.name,
        environment: key.environment,
        scopes: [...key.scopes],
        accountId: account.id,
        isOperator: account.isOperator,
        planSlug: plan.slug,
      },
    };
  }
}

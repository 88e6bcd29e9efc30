import { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import type { Account } from '../accounts/account.entity';
import { AuditAction } from '../audit/audit-action';
import { AuditService, type ChainHead } from '../audit/audit.service';
import type { RequestActor } from '../common/auth/principal';
import { newId } from '../common/crypto/base62';
import { DomainException, notFound } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import { diffChanges } from '../common/http/diff-changes';
import { ApiKeyFormat } from './api-key-format';
import { KeyEnvironment } from '../common/auth/environment';
import { ApiKeyDto, ApiKeyWithSecretDto, type KeyFields } from './dto/api-key.dto';
import { KeyHasher } from './key-hasher';
import { WebhookEvents } from '../webhooks/webhook-events.service';

export interface KeySpec {
  name: string;
  environment: KeyEnvironment;
  scopes: string[];
  active?: boolean;
  expiresAt?: Date | null;
  allowedIps?: string[];
  allowedReferrers?: string[];
  metadata?: Record<string, unknown>;
}

export interface IssueOptions {
  /** Refuse the key when the account's plan already has its max_keys in that environment. */
  withinPlanLimit?: boolean;
}

// Columns left out are null (the grace secret, revocation, last use, expiry notices).
const INSERT_KEY = `insert into api_keys (id, account_id, name, environment, prefix, last4, secret_hash, active, scopes, allowed_ips,
  allowed_referrers, metadata, expires_at, created_at, updated_at)
  values (?, ?, ?, ?, ?, ?, ?, ?, array[?]::text[], array[?]::text[], array[?]::text[], ?::jsonb, ?, ?, ?)`;

interface CreateHead extends ChainHead {
  max_keys: number | null;
  plan_name: string;
  live_keys: string | number;
}

/** Mints keys: the secret is generated here, hashed, and leaves only in the returned DTO. */
@Injectable()
export class KeyIssuer {
  constructor(
    private readonly format: ApiKeyFormat,
    private readonly hasher: KeyHasher,
    private readonly audit: AuditService,
    private readonly webhooks: WebhookEvents,
  ) {}

  /**
   * Creates a key inside the caller's transaction, with its `api_key.created` audit event and
   * webhook event: the chain's lock (which every key creation takes, so a limit check under it
   * holds until commit), then the three rows in one statement.
   */
  async issue(em: EntityManager, account: Pick<Account, 'id'>, spec: KeySpec, actor: RequestActor, options: IssueOptions = {}): Promise<ApiKeyWithSecretDto> {
    // What the transaction holds but has not written yet (a new account) goes first: the key refers to it.
    await em.flush();
    const head = options.withinPlanLimit ? await this.lockWithinLimit(em, account.id, spec.environment) : await this.audit.lockChain(em, account.id);
    const secret = this.format.generate(spec.environment);
    const now = new Date();
    const key: KeyFields = {
      id: newId('key'),
      name: spec.name,
      environment: spec.environment,
      prefix: secret.displayPrefix,
      last4: secret.last4,
      scopes: spec.scopes,
      active: spec.active ?? true,
      expiresAt: spec.expiresAt ?? null,
      allowedIps: spec.allowedIps ?? [],
      allowedReferrers: spec.allowedReferrers ?? [],
      metadata: spec.metadata ?? {},
      createdAt: now,
      updatedAt: now,
      lastUsedAt: null,
      lastUsedIp: null,
      revokedAt: null,
    };
    const dto = ApiKeyDto.from(key, now);
    const event = this.audit.insert(
      this.audit.next({ accountId: account.id, action: AuditAction.KeyCreated, target: { type: 'api_key', id: key.id }, actor, changes: diffChanges({}, dto) }, head),
    );
    const outbox = this.webhooks.outboxWrite({ accountId: account.id, type: 'api_key.created', environment: key.environment, object: dto });
    const row = [key.id, account.id, key.name, key.environment, key.prefix, key.last4, this.hasher.hash(secret.key), key.active, key.scopes,
      key.allowedIps, key.allowedReferrers, JSON.stringify(key.metadata), key.expiresAt, now, now];
    await em
      .getConnection()
      .execute(
        `with new_key as (${INSERT_KEY}), new_event as (${event.sql}), ${outbox.ctes} ${outbox.select}`,
        [...row, ...event.params, ...outbox.params],
        'all',
        em.getTransactionContext(),
      );
    return { ...dto, key: secret.key };
  }

  /** The chain's lock and head, after checking the plan's key limit under that lock. */
  private async lockWithinLimit(em: EntityManager, accountId: string, environment: KeyEnvironment): Promise<ChainHead> {
    const [head] = await em
      .getConnection()
      .execute<CreateHead[]>(
        'select seq, hash, max_keys, plan_name, live_keys from latchkey_key_create_head(?, ?)',
        [accountId, environment],
        'all',
        em.getTransactionContext(),
      );
    if (!head) throw notFound('Account');
    const max = head.max_keys;
    // Each environment has the plan's max_keys of its own: test keys cannot use up the live ones.
    if (max !== null && Number(head.live_keys) >= max) {
      throw new DomainException(
        ErrorCode.KeyLimitReached,
        `The ${head.plan_name} plan allows ${max} ${environment} API key${max === 1 ? '' : 's'}; revoke or delete one, or upgrade.`,
      );
    }
    return head;
  }
}

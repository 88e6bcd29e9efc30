import { EntityManager, LockMode, type FilterQuery } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { AuditAction } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import { type Principal, type RequestActor, SYSTEM_ACTOR } from '../common/auth/principal';
import { DomainException, notFound } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import { afterCursor, toPage } from '../common/http/cursor';
import { diffChanges } from '../common/http/diff-changes';
import { ActionMessage, Paginated } from '../common/http/envelope';
import { ApiKeyFormat } from './api-key-format';
import { ApiKey } from './api-key.entity';
import { KeyEnvironment } from '../common/auth/environment';
import type { CreateApiKeyDto, ListApiKeysQueryDto, UpdateApiKeyDto } from './dto/api-key-input.dto';
import { ApiKeyDto, type ApiKeyWithSecretDto, KeyStatus } from './dto/api-key.dto';
import { InvalidationBus } from './invalidation-bus';
import type { Invalidation } from './key-cache';
import { KeyHasher } from './key-hasher';
import { KeyIssuer } from './key-issuer.service';
import { assertChangeWithin, assertMayManageRestricted, restrictionsForNewKey } from './key-restriction-inheritance';
import { assertMayManage, grantableScopes } from './key-scopes';
import type { WebhookEventType } from '../webhooks/webhook-event-types';
import { previousAttributes, WebhookEvents } from '../webhooks/webhook-events.service';

const KEY_ID = /^key_[0-9A-Za-z]{22}$/;
const MAX_EXPIRY_MS = 100 * 365 * 24 * 3600 * 1000;

function futureDate(value: string | null | undefined): Date | null | undefined {
  if (value === undefined || value === null) return value;
  const date = new Date(value);
  const now = Date.now();
  if (Number.isNaN(date.getTime()) || date.getTime() <= now || date.getTime() > now + MAX_EXPIRY_MS) {
    throw new DomainException(ErrorCode.ValidationFailed, 'The request is not valid.', [
      { field: 'expires_at', message: 'expires_at must be a date-time in the future (within 100 years)' },
    ]);
  }
  return date;
}

const revokeKey = (key: ApiKey) => {
  key.revokedAt = new Date();
  key.graceSecretHash = null;
  key.graceExpiresAt = null;
};

/** The key lifecycle, always on behalf of a calling key and within its account and environment. */
@Injectable()
export class KeysService {
  constructor(
    private readonly em: EntityManager,
    private readonly bus: InvalidationBus,
    private readonly issuer: KeyIssuer,
    private readonly audit: AuditService,
    private readonly format: ApiKeyFormat,
    private readonly hasher: KeyHasher,
    private readonly webhooks: WebhookEvents,
  ) {}

  async create(caller: Principal, input: CreateApiKeyDto, actor: RequestActor): Promise<ApiKeyWithSecretDto> {
    const environment = input.environment ?? caller.environment;
    if (caller.environment === KeyEnvironment.Test && environment !== KeyEnvironment.Test) {
      throw new DomainException(ErrorCode.EnvironmentMismatch, 'A test key can create only test keys.');
    }
    const scopes = grantableScopes(caller, input.scopes);
    const restrictions = restrictionsForNewKey(caller, {
      expiresAt: futureDate(input.expires_at),
      allowedIps: input.allowed_ips,
      allowedReferrers: input.allowed_referrers,
    });
    const spec = {
      name: input.name,
      environment,
      scopes,
      active: input.active,
      expiresAt: restrictions.expiresAt,
      allowedIps: [...restrictions.allowedIps],
      allowedReferrers: [...restrictions.allowedReferrers],
      metadata: input.metadata,
    };
    return this.issuer.create(this.em, caller.accountId, spec, actor);
  }

  async list(caller: Principal, query: ListApiKeysQueryDto): Promise<Paginated<ApiKeyDto>> {
    if (caller.environment === KeyEnvironment.Test && query.environment === KeyEnvironment.Live) {
      throw new DomainException(ErrorCode.EnvironmentMismatch, 'A test key can see only test keys.');
    }
    const environment = caller.environment === KeyEnvironment.Test ? KeyEnvironment.Test : query.environment;
    const now = new Date();
    const where: FilterQuery<ApiKey>[] = [{ account: caller.accountId }, afterCursor(query.cursor) as FilterQuery<ApiKey>];
    if (environment) where.push({ environment });
    if (query.status) where.push(statusFilter(query.status, now));
    const rows = await this.em.find(ApiKey, { $and: where }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: query.limit + 1 });
    const page = toPage(rows, query.limit);
    return new Paginated(page.items.map((k) => ApiKeyDto.from(k, now)), page.nextCursor);
  }

  async get(caller: Principal, id: string): Promise<ApiKeyDto> {
    return ApiKeyDto.from(await this.find(this.em, caller, id));
  }

  update(caller: Principal, id: string, input: UpdateApiKeyDto, actor: RequestActor): Promise<ApiKeyDto> {
    const expiresAt = futureDate(input.expires_at);
    assertChangeWithin(caller, { expiresAt, allowedIps: input.allowed_ips, allowedReferrers: input.allowed_referrers });
    return this.change(caller, id, actor, AuditAction.KeyUpdated, (key) => {
      if (input.scopes !== undefined) key.scopes = grantableScopes(caller, input.scopes);
      if (input.name !== undefined) key.name = input.name;
      if (expiresAt !== undefined) key.expiresAt = expiresAt;
      if (input.allowed_ips !== undefined) key.allowedIps = input.allowed_ips;
      if (input.allowed_referrers !== undefined) key.allowedReferrers = input.allowed_referrers;
      if (input.metadata !== undefined) key.metadata = input.metadata;
    });
  }

  setActive(caller: Principal, id: string, active: boolean, actor: RequestActor): Promise<ApiKeyDto> {
    return this.change(caller, id, actor, active ? AuditAction.KeyActivated : AuditAction.KeyDeactivated, (key) => {
      key.active = active;
    });
  }

  revoke(caller: Principal, id: string, actor: RequestActor): Promise<ApiKeyDto> {
    return this.change(caller, id, actor, AuditAction.KeyRevoked, revokeKey);
  }

  /**
   * The system's own revoke or deactivate (a leak report), inside the caller's `bus.transactional`
   * on a key it holds locked: the same audit event, webhook and cache invalidation as a customer's
   * call, with actor `system`. A revoked key is left as it is.
   */
  async actAsSystem(em: EntityManager, changed: (c: Invalidation) => void, key: ApiKey, what: 'revoke' | 'deactivate'): Promise<ApiKeyDto> {
    if (key.revokedAt) return ApiKeyDto.from(key);
    return what === 'revoke'
      ? this.apply(em, changed, key, SYSTEM_ACTOR, AuditAction.KeyRevoked, revokeKey)
      : this.apply(em, changed, key, SYSTEM_ACTOR, AuditAction.KeyDeactivated, (k) => (k.active = false));
  }

  /** A new secret for the same key; the old one stops now, or after the grace period. */
  async regenerate(caller: Principal, id: string, graceSeconds: number, actor: RequestActor): Promise<ApiKeyWithSecretDto> {
    let secret = '';
    const dto = await this.change(caller, id, actor, AuditAction.KeyRegenerated, (key) => {
      const fresh = this.format.generate(key.environment);
      secret = fresh.key;
      key.graceSecretHash = graceSeconds > 0 ? key.secretHash : null;
      key.graceExpiresAt = graceSeconds > 0 ? new Date(Date.now() + graceSeconds * 1000) : null;
      key.secretHash = this.hasher.hash(fresh.key);
      key.last4 = fresh.last4;
      key.prefix = fresh.displayPrefix;
    }, { grace_period_seconds: graceSeconds });
    return { ...dto, key: secret };
  }

  /** Revokes and removes the key; its audit trail stays. */
  async delete(caller: Principal, id: string, actor: RequestActor): Promise<ActionMessage> {
    await this.bus.transactional(async (em, changed) => {
      const key = await this.find(em, caller, id, true);
      assertMayManage(caller, key.scopes);
      assertMayManageRestricted(caller, key);
      await this.audit.record(em, {
        accountId: caller.accountId,
        action: AuditAction.KeyDeleted,
        target: { type: 'api_key', id: key.id },
        actor,
        changes: diffChanges(ApiKeyDto.from(key), {}),
      });
      await this.webhooks.enqueue(em, { accountId: caller.accountId, type: 'api_key.deleted', environment: key.environment, object: ApiKeyDto.from(key) });
      em.remove(key);
      changed({ key: key.id });
    });
    return new ActionMessage('API key revoked successfully');
  }

  private async change(
    caller: Principal,
    id: string,
    actor: RequestActor,
    action: AuditAction,
    mutate: (key: ApiKey) => void,
    extra?: Record<string, unknown>,
  ): Promise<ApiKeyDto> {
    return this.bus.transactional(async (em, changed) => {
      const key = await this.find(em, caller, id, true);
      assertMayManage(caller, key.scopes);
      assertMayManageRestricted(caller, key);
      return this.apply(em, changed, key, actor, action, mutate, extra);
    });
  }

  /** Changes a key the transaction holds locked; audits, reports and announces it when something changed. */
  private async apply(
    em: EntityManager,
    changed: (c: Invalidation) => void,
    key: ApiKey,
    actor: RequestActor,
    action: AuditAction,
    mutate: (key: ApiKey) => void,
    extra?: Record<string, unknown>,
  ): Promise<ApiKeyDto> {
    const accountId = key.account.id;
    if (key.revokedAt) {
      if (action === AuditAction.KeyRevoked) return ApiKeyDto.from(key);
      throw new DomainException(ErrorCode.Conflict, 'This API key is revoked; a revoked key cannot be changed.');
    }
    const before = ApiKeyDto.from(key);
    mutate(key);
    const changes = diffChanges(before, ApiKeyDto.from(key));
    if (changes || action === AuditAction.KeyRegenerated) {
      await this.audit.record(em, {
        accountId,
        action,
        target: { type: 'api_key', id: key.id },
        actor,
        changes: { ...changes, ...extra },
      });
      // The key actions' audit names are their event types.
      await this.webhooks.enqueue(em, {
        accountId,
        type: action as WebhookEventType,
        environment: key.environment,
        object: ApiKeyDto.from(key),
        previousAttributes: previousAttributes(changes),
      });
      changed({ key: key.id });
    }
    return ApiKeyDto.from(key);
  }

  /** The caller's own key by id; another account's key, or a live key seen by a test key, is 404. */
  private async find(em: EntityManager, caller: Principal, id: string, forUpdate = false): Promise<ApiKey> {
    const where: FilterQuery<ApiKey> = { id, account: caller.accountId };
    if (caller.environment === KeyEnvironment.Test) where.environment = KeyEnvironment.Test;
    const key = KEY_ID.test(id)
      ? await em.findOne(ApiKey, where, forUpdate ? { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['secretHash'] } : {})
      : null;
    if (!key) throw notFound('API key');
    return key;
  }
}

function statusFilter(status: KeyStatus, now: Date): FilterQuery<ApiKey> {
  const live = { revokedAt: null, $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] };
  switch (status) {
    case KeyStatus.Revoked:
      return { revokedAt: { $ne: null } };
    case KeyStatus.Expired:
      return { revokedAt: null, expiresAt: { $lte: now } };
    case KeyStatus.Inactive:
      return { ...live, active: false };
    case KeyStatus.Active:
      return { ...live, active: true };
  }
}

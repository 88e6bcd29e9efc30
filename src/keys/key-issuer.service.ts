import { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import type { Account } from '../accounts/account.entity';
import { AuditAction } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import type { RequestActor } from '../common/auth/principal';
import { newId } from '../common/crypto/base62';
import { diffChanges } from '../common/http/diff-changes';
import { ApiKeyFormat } from './api-key-format';
import { ApiKey } from './api-key.entity';
import { KeyEnvironment } from '../common/auth/environment';
import { ApiKeyDto, ApiKeyWithSecretDto } from './dto/api-key.dto';
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

/** Mints keys: the secret is generated here, hashed, and leaves only in the returned DTO. */
@Injectable()
export class KeyIssuer {
  constructor(
    private readonly format: ApiKeyFormat,
    private readonly hasher: KeyHasher,
    private readonly audit: AuditService,
    private readonly webhooks: WebhookEvents,
  ) {}

  /** Creates a key inside the caller's transaction and records `api_key.created` in it. */
  async issue(em: EntityManager, account: Account, spec: KeySpec, actor: RequestActor): Promise<ApiKeyWithSecretDto> {
    const secret = this.format.generate(spec.environment);
    const key = em.create(ApiKey, {
      id: newId('key'),
      account,
      name: spec.name,
      environment: spec.environment,
      prefix: secret.displayPrefix,
      last4: secret.last4,
      secretHash: this.hasher.hash(secret.key),
      scopes: spec.scopes,
      active: spec.active ?? true,
      expiresAt: spec.expiresAt ?? null,
      allowedIps: spec.allowedIps ?? [],
      allowedReferrers: spec.allowedReferrers ?? [],
      metadata: spec.metadata ?? {},
    });
    const dto = ApiKeyDto.from(key);
    await this.audit.record(em, {
      accountId: account.id,
      action: AuditAction.KeyCreated,
      target: { type: 'api_key', id: key.id },
      actor,
      changes: diffChanges({}, dto),
    });
    await this.webhooks.enqueue(em, { accountId: account.id, type: 'api_key.created', environment: key.environment, object: dto });
    return { ...dto, key: secret.key };
  }
}

import { EntityManager, LockMode, type FilterQuery } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { Account } from '../accounts/account.entity';
import { AuditAction } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import { KeyEnvironment } from '../common/auth/environment';
import { type Principal, type RequestActor, SYSTEM_ACTOR } from '../common/auth/principal';
import { randomBase62 } from '../common/crypto/base62';
import { DomainException, notFound } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import { afterCursor, toPage } from '../common/http/cursor';
import { diffChanges } from '../common/http/diff-changes';
import { ActionMessage, Paginated } from '../common/http/envelope';
import type { ListQueryDto } from '../common/http/list-query.dto';
import { DeliverySignal } from './delivery-signal';
import type { CreateWebhookEndpointDto, UpdateWebhookEndpointDto } from './dto/webhook-endpoint-input.dto';
import { WebhookEndpointDto, type WebhookEndpointWithSecretDto } from './dto/webhook-endpoint.dto';
import { checkEndpointUrl } from './endpoint-url';
import { newSigningSecret, SecretBox } from './secret-box';
import { EndpointStatus, WebhookEndpoint } from './webhook-endpoint.entity';
import { WEBHOOK_EVENT_TYPES } from './webhook-event-types';
import { WebhookEvents } from './webhook-events.service';
import { MAX_ENDPOINTS_PER_ACCOUNT, WEBHOOK_DELIVERY_OPTIONS, type WebhookDeliveryOptions } from './webhook-options';

const ENDPOINT_ID = /^we_[0-9A-Za-z]{22}$/;
const SECRET_OVERLAP_MS = 24 * 3600 * 1000;

/** Webhooks are account-wide and carry live keys' events: a test key may not see or change them. */
export function assertMayUseWebhooks(caller: Principal): void {
  if (caller.environment === KeyEnvironment.Test) {
    throw new DomainException(ErrorCode.EnvironmentMismatch, 'A test key cannot use webhooks; use a live key or the console.');
  }
}

@Injectable()
export class WebhookEndpointsService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly events: WebhookEvents,
    private readonly box: SecretBox,
    private readonly signal: DeliverySignal,
    @Inject(WEBHOOK_DELIVERY_OPTIONS) private readonly options: WebhookDeliveryOptions,
  ) {}

  async create(caller: Principal, input: CreateWebhookEndpointDto, actor: RequestActor): Promise<WebhookEndpointWithSecretDto> {
    assertMayUseWebhooks(caller);
    const url = await this.checkUrl(input.url);
    return this.em.transactional(async (em) => {
      // The account row lock serialises creates, so the limit holds under concurrency.
      await em.findOneOrFail(Account, { id: caller.accountId }, { lockMode: LockMode.PESSIMISTIC_WRITE, fields: ['id'] });
      if ((await em.count(WebhookEndpoint, { account: caller.accountId })) >= MAX_ENDPOINTS_PER_ACCOUNT) {
        throw new DomainException(ErrorCode.Conflict, `An account can have at most ${MAX_ENDPOINTS_PER_ACCOUNT} webhook endpoints; delete one first.`);
      }
      const id = `we_${randomBase62(22)}`;
      const secret = newSigningSecret();
      const endpoint = em.create(WebhookEndpoint, {
        id,
        account: em.getReference(Account, caller.accountId),
        url,
        description: input.description ?? null,
        eventTypes: input.event_types ?? [...WEBHOOK_EVENT_TYPES],
        status: input.active === false ? EndpointStatus.Disabled : EndpointStatus.Enabled,
        secretCiphertext: this.box.seal(secret, id),
      });
      const dto = WebhookEndpointDto.from(endpoint);
      await this.record(em, caller.accountId, AuditAction.WebhookEndpointCreated, id, actor, diffChanges({}, dto));
      return { ...dto, secret };
    });
  }

  async list(caller: Principal, query: ListQueryDto): Promise<Paginated<WebhookEndpointDto>> {
    assertMayUseWebhooks(caller);
    const where = { $and: [{ account: caller.accountId }, afterCursor(query.cursor) as FilterQuery<WebhookEndpoint>] };
    const rows = await this.em.find(WebhookEndpoint, where, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: query.limit + 1 });
    const page = toPage(rows, query.limit);
    return new Paginated(page.items.map(WebhookEndpointDto.from), page.nextCursor);
  }

  async get(caller: Principal, id: string): Promise<WebhookEndpointDto> {
    assertMayUseWebhooks(caller);
    return WebhookEndpointDto.from(await this.find(this.em, caller, id));
  }

  async update(caller: Principal, id: string, input: UpdateWebhookEndpointDto, actor: RequestActor): Promise<WebhookEndpointDto> {
    assertMayUseWebhooks(caller);
    const url = input.url === undefined ? undefined : await this.checkUrl(input.url);
    let enabled = false;
    const dto = await this.em.transactional(async (em) => {
      const endpoint = await this.find(em, caller, id, true);
      const before = WebhookEndpointDto.from(endpoint);
      if (url !== undefined) endpoint.url = url;
      if (input.description !== undefined) endpoint.description = input.description;
      if (input.event_types !== undefined) endpoint.eventTypes = input.event_types;
      if (input.status !== undefined && input.status !== endpoint.status) {
        endpoint.status = input.status;
        endpoint.disabledReason = null;
        endpoint.failingSince = null;
        enabled = input.status === EndpointStatus.Enabled;
      }
      const changes = diffChanges(before, WebhookEndpointDto.from(endpoint));
      if (changes) await this.record(em, caller.accountId, AuditAction.WebhookEndpointUpdated, id, actor, changes);
      await em.flush();
      return WebhookEndpointDto.from(endpoint);
    });
    if (enabled) this.signal.wake();
    return dto;
  }

  async delete(caller: Principal, id: string, actor: RequestActor): Promise<ActionMessage> {
    assertMayUseWebhooks(caller);
    await this.em.transactional(async (em) => {
      const endpoint = await this.find(em, caller, id, true);
      await this.record(em, caller.accountId, AuditAction.WebhookEndpointDeleted, id, actor, diffChanges(WebhookEndpointDto.from(endpoint), {}));
      // Its deliveries and their attempts go with it (foreign keys on delete cascade).
      em.remove(endpoint);
      await em.flush();
    });
    return new ActionMessage('Webhook endpoint deleted');
  }

  /** A new secret, returned once; the replaced one keeps signing beside it for 24 hours. */
  async rotateSecret(caller: Principal, id: string, actor: RequestActor): Promise<WebhookEndpointWithSecretDto> {
    assertMayUseWebhooks(caller);
    return this.em.transactional(async (em) => {
      const endpoint = await this.find(em, caller, id, true);
      const secret = newSigningSecret();
      endpoint.previousSecretCiphertext = endpoint.secretCiphertext;
      endpoint.previousSecretExpiresAt = new Date(Date.now() + SECRET_OVERLAP_MS);
      endpoint.secretCiphertext = this.box.seal(secret, endpoint.id);
      endpoint.updatedAt = new Date();
      await this.record(em, caller.accountId, AuditAction.WebhookEndpointSecretRotated, id, actor, {
        previous_secret_expires_at: endpoint.previousSecretExpiresAt.toISOString(),
      });
      return { ...WebhookEndpointDto.from(endpoint), secret };
    });
  }

  /** Queues `webhook.test` for this endpoint alone; returns the event's id. */
  async sendTest(caller: Principal, id: string): Promise<string> {
    assertMayUseWebhooks(caller);
    const eventId = await this.em.transactional(async (em) => {
      const endpoint = await this.find(em, caller, id);
      if (endpoint.status !== EndpointStatus.Enabled) throw new DomainException(ErrorCode.Conflict, 'This endpoint is disabled; enable it first.');
      return this.events.enqueue(em, { accountId: caller.accountId, type: 'webhook.test', environment: null, object: WebhookEndpointDto.from(endpoint), endpointId: id });
    });
    this.signal.wake();
    return eventId;
  }

  /** Disables an endpoint on the service's own judgement (410, or five days of failures), audited as the system. */
  async disableBySystem(em: EntityManager, accountId: string, id: string, reason: string): Promise<void> {
    const disabled = await em.nativeUpdate(WebhookEndpoint, { id, status: EndpointStatus.Enabled }, {
      status: EndpointStatus.Disabled,
      disabledReason: reason,
      updatedAt: new Date(),
    });
    if (!disabled) return;
    await this.record(em, accountId, AuditAction.WebhookEndpointUpdated, id, SYSTEM_ACTOR, {
      status: { before: EndpointStatus.Enabled, after: EndpointStatus.Disabled },
      disabled_reason: { before: null, after: reason },
    });
  }

  /** The caller's endpoint by id; another account's is 404. */
  async find(em: EntityManager, caller: Principal, id: string, forUpdate = false): Promise<WebhookEndpoint> {
    const endpoint = ENDPOINT_ID.test(id)
      ? await em.findOne(
          WebhookEndpoint,
          { id, account: caller.accountId },
          forUpdate ? { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['secretCiphertext'] } : {},
        )
      : null;
    if (!endpoint) throw notFound('Webhook endpoint');
    return endpoint;
  }

  private checkUrl(url: string): Promise<string> {
    return checkEndpointUrl(url, this.options.allowPrivateNetworks, this.options.resolve);
  }

  private record(em: EntityManager, accountId: string, action: AuditAction, id: string, actor: RequestActor, changes: Record<string, unknown> | null) {
    return this.audit.record(em, { accountId, action, target: { type: 'webhook_endpoint', id }, actor, changes });
  }
}

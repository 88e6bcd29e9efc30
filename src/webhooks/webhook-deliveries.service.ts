import { EntityManager, LockMode, type FilterQuery } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import type { Principal } from '../common/auth/principal';
import { DomainException, notFound } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import { afterCursor, toPage } from '../common/http/cursor';
import { Paginated } from '../common/http/envelope';
import type { ListQueryDto } from '../common/http/list-query.dto';
import { DeliverySignal } from './delivery-signal';
import { WebhookAttemptDto, WebhookDeliveryDto, type WebhookDeliveryDetailDto } from './dto/webhook-delivery.dto';
import type { WebhookEventDto } from './dto/webhook-event.dto';
import { WebhookAttempt } from './webhook-attempt.entity';
import { DeliveryStatus, WebhookDelivery } from './webhook-delivery.entity';
import { EndpointStatus } from './webhook-endpoint.entity';
import { assertMayUseWebhooks, WebhookEndpointsService } from './webhook-endpoints.service';
import { WebhookEvent } from './webhook-event.entity';

const DELIVERY_ID = /^whd_[0-9a-f]{32}$/;
const EVENT_ID = /^msg_[0-9A-Za-z]{22}$/;
const newestFirst = { orderBy: { createdAt: 'desc', id: 'desc' } } as const;

/** What was sent where: the account's events, each endpoint's deliveries and their attempts, and manual retries. */
@Injectable()
export class WebhookDeliveriesService {
  constructor(
    private readonly em: EntityManager,
    private readonly endpoints: WebhookEndpointsService,
    private readonly signal: DeliverySignal,
  ) {}

  async events(caller: Principal, query: ListQueryDto): Promise<Paginated<WebhookEventDto>> {
    assertMayUseWebhooks(caller);
    const where = { $and: [{ account: caller.accountId }, afterCursor(query.cursor) as FilterQuery<WebhookEvent>] };
    const rows = await this.em.find(WebhookEvent, where, { ...newestFirst, limit: query.limit + 1, populate: ['body'] });
    const page = toPage(rows, query.limit);
    return new Paginated(page.items.map((e) => JSON.parse(e.body) as WebhookEventDto), page.nextCursor);
  }

  async event(caller: Principal, id: string): Promise<WebhookEventDto> {
    assertMayUseWebhooks(caller);
    const event = EVENT_ID.test(id) ? await this.em.findOne(WebhookEvent, { id, account: caller.accountId }, { populate: ['body'] }) : null;
    if (!event) throw notFound('Event');
    return JSON.parse(event.body) as WebhookEventDto;
  }

  async list(caller: Principal, endpointId: string, query: ListQueryDto): Promise<Paginated<WebhookDeliveryDto>> {
    assertMayUseWebhooks(caller);
    const endpoint = await this.endpoints.find(this.em, caller, endpointId);
    const where = { $and: [{ endpoint: endpoint.id }, afterCursor(query.cursor) as FilterQuery<WebhookDelivery>] };
    const rows = await this.em.find(WebhookDelivery, where, { ...newestFirst, limit: query.limit + 1 });
    const page = toPage(rows, query.limit);
    return new Paginated(page.items.map(WebhookDeliveryDto.from), page.nextCursor);
  }

  async get(caller: Principal, id: string): Promise<WebhookDeliveryDetailDto> {
    assertMayUseWebhooks(caller);
    const delivery = await this.find(this.em, caller, id);
    const attempts = await this.em.find(WebhookAttempt, { delivery: delivery.id }, { orderBy: { number: 'asc' } });
    return { ...WebhookDeliveryDto.from(delivery), attempt_details: attempts.map(WebhookAttemptDto.from) };
  }

  /** Makes the delivery due now: one more attempt, whatever its state (no further automatic retries once exhausted). */
  async retry(caller: Principal, id: string): Promise<WebhookDeliveryDto> {
    assertMayUseWebhooks(caller);
    const dto = await this.em.transactional(async (em) => {
      const delivery = await this.find(em, caller, id, true);
      const endpoint = await delivery.endpoint.loadOrFail();
      if (endpoint.status !== EndpointStatus.Enabled) throw new DomainException(ErrorCode.Conflict, 'This endpoint is disabled; enable it first.');
      delivery.status = DeliveryStatus.Pending;
      delivery.nextAttemptAt = new Date();
      delivery.updatedAt = new Date();
      await em.flush();
      return WebhookDeliveryDto.from(delivery);
    });
    this.signal.wake();
    return dto;
  }

  private async find(em: EntityManager, caller: Principal, id: string, forUpdate = false): Promise<WebhookDelivery> {
    const delivery = DELIVERY_ID.test(id)
      ? await em.findOne(WebhookDelivery, { id, account: caller.accountId }, forUpdate ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {})
      : null;
    if (!delivery) throw notFound('Webhook delivery');
    return delivery;
  }
}

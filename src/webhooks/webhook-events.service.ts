import { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import type { KeyEnvironment } from '../common/auth/environment';
import { randomBase62 } from '../common/crypto/base62';
import type { WebhookEventType } from './webhook-event-types';

/** Where a committed delivery is announced, so that every instance's worker wakes at once. */
export const WEBHOOK_CHANNEL = 'latchkey_webhooks';

export interface OutboundEvent {
  accountId: string;
  type: WebhookEventType;
  /** The key's environment; null for events about the account itself. */
  environment: KeyEnvironment | null;
  /** The key object exactly as the API returns it (never a secret or hash), or the account. */
  object: object;
  /** The changed fields' values before the change. */
  previousAttributes?: Record<string, unknown> | null;
  daysLeft?: number;
  /** Send to this endpoint only, whatever its event types (`webhook.test`). */
  endpointId?: string;
}

// The event, its deliveries to every enabled endpoint that wants the type, and a notification that
// PostgreSQL sends only if the transaction commits and only if a delivery was made: parts of one
// statement, which a change may begin with WITH entries of its own (see OutboxWrite).
const fanOut = (where: string, gate?: string) => `ev as (
  insert into webhook_events (id, account_id, type, environment, body, created_at)
  ${gate ? `select ?, ?, ?, ?, ?, ? from ${gate}` : 'values (?, ?, ?, ?, ?, ?)'} returning id, account_id, type, created_at
), d as (
  insert into webhook_deliveries (id, event_id, endpoint_id, account_id, event_type, status, attempts, next_attempt_at, created_at, updated_at)
  select 'whd_' || replace(gen_random_uuid()::text, '-', ''), ev.id, e.id, ev.account_id, ev.type, 'pending', 0, ev.created_at, ev.created_at, ev.created_at
  from ev join webhook_endpoints e on e.account_id = ev.account_id and e.status = 'enabled' and ${where}
  returning 1
)`;
const TO_SUBSCRIBERS = 'ev.type = any(e.event_types)';
const TO_ONE_ENDPOINT = 'e.id = ?';
const NOTIFY = `select pg_notify('${WEBHOOK_CHANNEL}', '') from (select 1 from d limit 1) as any_delivery`;

/**
 * The outbox write of one event as parts of a statement: `with <ctes> <select>`, with `params` in
 * that order. A change may put WITH entries of its own (and their parameters) before `ctes`.
 */
export interface OutboxWrite {
  id: string;
  ctes: string;
  select: string;
  params: unknown[];
}

/**
 * The transactional outbox. `enqueue` runs inside the transaction of the change it reports, so the
 * event exists exactly when the change committed; the delivery worker sends it afterwards.
 */
@Injectable()
export class WebhookEvents {
  /** Writes the event (one statement, one round trip) and returns its id (`msg_…`). */
  async enqueue(em: EntityManager, event: OutboundEvent): Promise<string> {
    assertInTransaction(em);
    const write = this.outboxWrite(event);
    await em.getConnection().execute(`with ${write.ctes} ${write.select}`, write.params, 'all', em.getTransactionContext());
    return write.id;
  }

  /**
   * The event's write, for a statement that also makes the change it reports (in that change's
   * transaction). With `gate`, the name of an earlier entry of the statement's WITH list, the event
   * is written only if that entry has a row.
   */
  outboxWrite(event: OutboundEvent, gate?: string): OutboxWrite {
    const id = `msg_${randomBase62(22)}`;
    const now = new Date();
    const data: Record<string, unknown> = { object: event.object };
    if (event.previousAttributes) data.previous_attributes = event.previousAttributes;
    data.environment = event.environment;
    if (event.daysLeft !== undefined) data.days_left = event.daysLeft;
    const body = JSON.stringify({ id, type: event.type, timestamp: now.toISOString(), data });
    const params: unknown[] = [id, event.accountId, event.type, event.environment, body, now];
    if (event.endpointId) params.push(event.endpointId);
    return { id, ctes: fanOut(event.endpointId ? TO_ONE_ENDPOINT : TO_SUBSCRIBERS, gate), select: NOTIFY, params };
  }
}

function assertInTransaction(em: EntityManager): void {
  if (!em.isInTransaction()) throw new Error('Webhook events are written only inside the transaction of their change');
}

/** `previous_attributes` from an audit diff (`{field: {before, after}}`): the changed fields' old values. */
export function previousAttributes(changes: Record<string, { before: unknown }> | null | undefined): Record<string, unknown> | null {
  if (!changes) return null;
  const previous: Record<string, unknown> = {};
  for (const [field, change] of Object.entries(changes)) {
    if (change && typeof change === 'object' && 'before' in change) previous[field] = change.before;
  }
  return Object.keys(previous).length ? previous : null;
}

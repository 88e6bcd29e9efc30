import { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import type { RequestActor } from '../common/auth/principal';
import { newId } from '../common/crypto/base62';
import { ServerSecrets } from '../common/crypto/server-secrets';
import type { AuditAction } from './audit-action';
import { AuditEvent } from './audit-event.entity';
import { canonicalJson } from './canonical-json';
import { AuditEventDto } from './dto/audit-event.dto';

export interface AuditEntry {
  /** The account the event concerns: it appears in that account's log. */
  accountId: string;
  action: AuditAction;
  target: { type: 'api_key' | 'account' | 'plan' | 'portal_session' | 'webhook_endpoint'; id: string };
  actor: RequestActor;
  changes?: Record<string, unknown> | null;
}

/** An account chain's newest link, read under the chain's lock: none yet when both are null. */
export interface ChainHead {
  seq: string | null;
  hash: string | null;
}

/** The insert of one event, for the WITH list of a statement that also makes the change it records. */
export interface AuditInsert {
  sql: string;
  params: unknown[];
}

const INSERT_EVENT = `insert into audit_events (id, account_id, seq, occurred_at, actor_type, actor_id, actor_session_id, action,
  target_type, target_id, ip, user_agent, request_id, changes, prev_hash, hash)
  select ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ? from `;

/** Fields covered by the chain hash: the event as the API shows it, less the links themselves. */
export function chainedFields(e: AuditEvent) {
  const { prev_hash: _prev, hash: _hash, ...fields } = AuditEventDto.from(e);
  return fields;
}

@Injectable()
export class AuditService {
  constructor(private readonly secrets: ServerSecrets) {}

  /**
   * Appends an event to the account's chain. Must run inside the transaction of the change it
   * records (`em` is that transaction's manager), so the two commit or roll back together.
   */
  async record(em: EntityManager, entry: AuditEntry): Promise<AuditEvent> {
    const event = em.create(AuditEvent, this.next(entry, await this.lockChain(em, entry.accountId)));
    await em.flush();
    return event;
  }

  /**
   * The chain's head as last committed, without the lock: only a guess, for a statement that takes
   * the lock and writes only if the head is still this one.
   */
  async peekHead(em: EntityManager, accountId: string): Promise<ChainHead> {
    const [head] = await em.getConnection().execute<ChainHead[]>('select seq, hash from latchkey_audit_chain_tip(?)', [accountId]);
    return head ?? { seq: null, hash: null };
  }

  /**
   * Takes the account chain's lock for the rest of the transaction (one writer per chain at a time;
   * other accounts are not held up) and returns its head, in one round trip.
   */
  async lockChain(em: EntityManager, accountId: string): Promise<ChainHead> {
    assertInTransaction(em);
    const [head] = await em
      .getConnection()
      .execute<ChainHead[]>('select seq, hash from latchkey_audit_chain_head(?)', [accountId], 'all', em.getTransactionContext());
    return head ?? { seq: null, hash: null };
  }

  /** The event that follows `head` on its account's chain, hashed; written by `record` or by `insert`. */
  next(entry: AuditEntry, head: ChainHead): AuditEvent {
    const event: AuditEvent = {
      id: newId('evt'),
      accountId: entry.accountId,
      seq: String(BigInt(head.seq ?? 0) + 1n),
      occurredAt: new Date(),
      actorType: entry.actor.type,
      actorId: entry.actor.id,
      actorSessionId: entry.actor.sessionId ?? null,
      action: entry.action,
      targetType: entry.target.type,
      targetId: entry.target.id,
      ip: entry.actor.ip,
      userAgent: entry.actor.userAgent,
      requestId: entry.actor.requestId,
      changes: entry.changes ?? null,
      prevHash: head.hash,
      hash: '',
    };
    event.hash = this.linkHash(event.prevHash, event);
    return event;
  }

  /**
   * The insert of an event from `next`, for a statement that writes it together with its change:
   * one row for each row of `gate`, the name of an earlier entry of that statement's WITH list.
   */
  insert(e: AuditEvent, gate: string): AuditInsert {
    return {
      sql: INSERT_EVENT + gate,
      params: [e.id, e.accountId, e.seq, e.occurredAt, e.actorType, e.actorId, e.actorSessionId, e.action, e.targetType, e.targetId,
        e.ip, e.userAgent, e.requestId, e.changes === null ? null : JSON.stringify(e.changes), e.prevHash, e.hash],
    };
  }

  linkHash(prevHash: string | null, event: AuditEvent): string {
    return createHmac('sha256', this.secrets.auditChainKey)
      .update(prevHash ?? '')
      .update('\n')
      .update(canonicalJson(chainedFields(event)))
      .digest('hex');
  }
}

function assertInTransaction(em: EntityManager): void {
  if (!em.isInTransaction()) throw new Error('Audit events are written only inside the transaction of their change');
}

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
    if (!em.isInTransaction()) throw new Error('Audit events are written only inside the transaction of their change');
    const conn = em.getConnection();
    // One writer per account chain at a time; other accounts are not held up.
    await conn.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`audit:${entry.accountId}`], 'all', em.getTransactionContext());
    // The chain continues from its newest event, or from the retention anchor once all were pruned.
    const [last] = await conn.execute<{ seq: string; hash: string }[]>(
      `(select seq, hash from audit_events where account_id = ? order by seq desc limit 1)
       union all (select seq, hash from audit_anchors where account_id = ?)
       order by seq desc limit 1`,
      [entry.accountId, entry.accountId],
      'all',
      em.getTransactionContext(),
    );
    const event = em.create(AuditEvent, {
      id: newId('evt'),
      accountId: entry.accountId,
      seq: String(BigInt(last?.seq ?? 0) + 1n),
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
      prevHash: last?.hash ?? null,
      hash: '',
    });
    event.hash = this.linkHash(event.prevHash, event);
    await em.flush();
    return event;
  }

  linkHash(prevHash: string | null, event: AuditEvent): string {
    return createHmac('sha256', this.secrets.auditChainKey)
      .update(prevHash ?? '')
      .update('\n')
      .update(canonicalJson(chainedFields(event)))
      .digest('hex');
  }
}

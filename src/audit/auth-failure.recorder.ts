import { MikroORM } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { RequestActor } from '../common/auth/principal';
import { PeriodicFlusher } from '../common/events/periodic-flusher';
import { AuthFailedEvent } from '../keys/events/auth-failed.event';
import { AuditAction } from './audit-action';
import { AuditService } from './audit.service';

interface Group {
  accountId: string | null;
  keyId: string | null;
  ip: string | null;
  reason: string;
  minute: number;
  count: number;
}
type Groups = Map<string, Group>;

const FLUSH_MS = 5_000;
/** Distinct (account, IP, reason) groups kept per minute; beyond it IPs are pooled as "many". */
const MAX_GROUPS = 5_000;

/**
 * Records refused authentications as `auth.failed` events, one per (account if known, IP,
 * reason, minute) with a count, so a flood of junk keys writes a bounded number of rows.
 * Failures of unknown keys belong to no account and go to the operator account's log.
 */
@Injectable()
export class AuthFailureRecorder extends PeriodicFlusher<Group[]> {
  private groups: Groups = new Map();
  private operatorId?: string;

  constructor(
    private readonly orm: MikroORM,
    private readonly audit: AuditService,
  ) {
    super(FLUSH_MS);
  }

  @OnEvent(AuthFailedEvent.eventName)
  record(event: AuthFailedEvent): void {
    this.noteWork();
    const minute = Math.floor(event.at.getTime() / 60_000) * 60_000;
    let ip = event.ip;
    let id = `${event.accountId}|${ip}|${event.reason}|${minute}`;
    if (!this.groups.has(id) && this.groups.size >= MAX_GROUPS) {
      ip = 'many';
      id = `${event.accountId}|many|${event.reason}|${minute}`;
    }
    const group = this.groups.get(id);
    if (group) group.count++;
    else this.groups.set(id, { accountId: event.accountId, keyId: event.keyId, ip, reason: event.reason, minute, count: 1 });
  }

  /** Groups whose minute is over (all of them at shutdown): each becomes exactly one event. */
  protected take(final: boolean): Group[] | null {
    const current = Math.floor(Date.now() / 60_000) * 60_000;
    const done: Group[] = [];
    for (const [id, group] of this.groups) {
      if (final || group.minute < current) {
        done.push(group);
        this.groups.delete(id);
      }
    }
    return done.length ? done : null;
  }

  protected restore(batch: Group[]): void {
    for (const group of batch) this.groups.set(`${group.accountId}|${group.ip}|${group.reason}|${group.minute}`, group);
  }

  protected async write(batch: Group[]): Promise<void> {
    const em = this.orm.em.fork();
    // Written one by one and removed as they go, so a failure puts back only what was not written.
    for (let group = batch[0]; group; batch.shift(), group = batch[0]) {
      const accountId = group.accountId ?? (await this.operatorAccountId(em));
      const actor: RequestActor = group.keyId
        ? { type: 'api_key', id: group.keyId, ip: group.ip, userAgent: null, requestId: null }
        : { type: 'system', id: 'system', ip: group.ip, userAgent: null, requestId: null };
      await em.transactional((tx) =>
        this.audit.record(tx, {
          accountId,
          action: AuditAction.AuthFailed,
          target: { type: 'api_key', id: group.keyId ?? 'unknown' },
          actor,
          changes: { reason: group.reason, count: group.count, minute: new Date(group.minute).toISOString() },
        }),
      );
    }
  }

  private async operatorAccountId(em: ReturnType<MikroORM['em']['fork']>): Promise<string> {
    if (!this.operatorId) {
      const [row] = await em.getConnection().execute<{ id: string }[]>('select id from accounts where is_operator limit 1');
      this.operatorId = row.id;
    }
    return this.operatorId!;
  }
}

import { type EntityManager, MikroORM } from '@mikro-orm/core';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServerSecrets } from '../common/crypto/server-secrets';
import { DomainException } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import { DATABASE_TARGET } from '../database/database.module';
import type { DatabaseTarget } from '../database/mikro-orm.config';
import { AuditService } from './audit.service';
import type { WalkStart } from './chain-walk';
import { ChainWalker } from './chain-walker';
import type { AuditVerifyDto } from './dto/audit-event.dto';
import { checkHorizon, resumePoint, type VerifiedPoint } from './verified-point';

const LEASE_MS = 30_000;
const RENEW_MS = 10_000;
/** How long a call waits for another instance's check of the same account while that one stays alive. */
const WAIT_MS = 5 * 60_000;
const POLL_MS = 200;

type Conn = ReturnType<EntityManager['getConnection']>;

/**
 * Checks an account's chain from where it was last found intact, or from its start (`full`),
 * a millisecond at a time with longer rests between (whole chains on a PostgreSQL server in a worker
 * thread, see ChainWalker). One check per account runs at a time: in this
 * process concurrent calls share it, across instances a lease row in audit_verifications serialises
 * them. Checks from a chain's start take turns process-wide, one at a time.
 */
@Injectable()
export class AuditVerifier implements OnModuleDestroy {
  private readonly running = new Map<string, { full: boolean; result: Promise<AuditVerifyDto> }>();
  /** The end of the queue of whole-chain walks. */
  private wholeChainTurn: Promise<void> = Promise.resolve();
  private readonly walker: ChainWalker;

  constructor(
    private readonly orm: MikroORM,
    audit: AuditService,
    private readonly secrets: ServerSecrets,
    @Inject(DATABASE_TARGET) database: { target: DatabaseTarget },
  ) {
    this.walker = new ChainWalker(orm, audit, secrets, database.target);
  }

  onModuleDestroy(): Promise<void> {
    return this.walker.close();
  }

  /** A full check answers an incremental call too; an incremental one in progress makes a full call wait for it. */
  verify(accountId: string, full: boolean): Promise<AuditVerifyDto> {
    const current = this.running.get(accountId);
    if (current && (current.full || !full)) return current.result;
    const result = (current?.result.catch(() => undefined) ?? Promise.resolve()).then(() => this.run(accountId, full));
    const entry = { full, result };
    this.running.set(accountId, entry);
    const forget = () => this.running.get(accountId) === entry && this.running.delete(accountId);
    result.then(forget, forget);
    return result;
  }

  private async run(accountId: string, full: boolean): Promise<AuditVerifyDto> {
    const conn = this.orm.em.getConnection();
    const owner = randomUUID();
    const stored = await this.acquire(conn, accountId, owner);
    let saved: VerifiedPoint | null = null;
    // Renewed on a timer, so neither a wait for a turn nor a slow walk lets the lease lapse.
    const renewal = setInterval(() => {
      conn
        .execute(`update audit_verifications set lease_until = now() + interval '${LEASE_MS} milliseconds' where account_id = ? and lease_owner = ?`, [accountId, owner])
        .catch(() => undefined);
    }, RENEW_MS);
    try {
      const horizon = await checkHorizon(conn);
      const point = stored && this.trusted(accountId, stored) ? stored : null;
      const from = await resumePoint(conn, accountId, full ? null : point);
      const start: WalkStart = { accountId, seq: String(from.seq), hash: from.hash, horizon };
      const outcome = from.point ? await this.walker.here(start) : await this.inTurn(() => this.walker.whole(start));
      const { last, verified, ...result } = outcome;
      if (!result.ok) return result;
      const resumed = from.point ? { seq: from.point.seq, id: from.point.eventId, hash: from.point.hash } : null;
      const end = last ?? resumed;
      if (point && (!end || BigInt(end.seq) < BigInt(point.seq)) && (await this.truncated(conn, accountId, point))) {
        return { ok: false, checked: result.checked, first_broken_event_id: point.eventId };
      }
      // Only events older than the horizon: what arrived meanwhile is left to the next check.
      const keep = verified ?? resumed;
      if (keep) saved = this.sign(accountId, { seq: keep.seq, eventId: keep.id, hash: keep.hash, horizon, mac: '' });
      return result;
    } finally {
      clearInterval(renewal);
      await this.release(conn, accountId, owner, saved).catch(() => undefined);
    }
  }

  /** Runs `work` after every whole-chain walk queued before it. */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const result = this.wholeChainTurn.then(work);
    this.wholeChainTurn = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /**
   * Takes the account's lease and returns the stored point. While another instance holds the lease
   * this waits: a live holder renews it, a dead one's lapses within LEASE_MS and is taken over.
   */
  private async acquire(conn: Conn, accountId: string, owner: string): Promise<VerifiedPoint | null> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const [row] = await conn.execute<(Omit<VerifiedPoint, 'seq'> & { seq: string | null })[]>(
        `insert into audit_verifications (account_id, lease_owner, lease_until) values (?, ?, now() + interval '${LEASE_MS} milliseconds')
         on conflict (account_id) do update set lease_owner = excluded.lease_owner, lease_until = excluded.lease_until
           where audit_verifications.lease_until is null or audit_verifications.lease_until < now()
         returning seq::text as seq, event_id as "eventId", hash, horizon::text as horizon, mac`,
        [accountId, owner],
      );
      if (row) return row.seq && row.eventId && row.hash && row.horizon && row.mac ? (row as VerifiedPoint) : null;
      if (Date.now() >= deadline) {
        throw new DomainException(ErrorCode.ServiceUnavailable, 'This audit chain is being verified by another request; try again shortly.', undefined, { 'Retry-After': '5' });
      }
      await sleep(POLL_MS);
    }
  }

  /** Frees the lease, storing the new verified point if the check passed. */
  private async release(conn: Conn, accountId: string, owner: string, point: VerifiedPoint | null): Promise<void> {
    if (!point) {
      await conn.execute('update audit_verifications set lease_owner = null, lease_until = null where account_id = ? and lease_owner = ?', [accountId, owner]);
      return;
    }
    await conn.execute(
      `update audit_verifications set seq = ?, event_id = ?, hash = ?, horizon = ?, mac = ?, verified_at = now(), lease_owner = null, lease_until = null
        where account_id = ? and lease_owner = ?`,
      [point.seq, point.eventId, point.hash, point.horizon, point.mac, accountId, owner],
    );
  }

  /** Events up to a verified point are gone, and not by retention: the end of the chain was cut off. */
  private async truncated(conn: Conn, accountId: string, point: VerifiedPoint): Promise<boolean> {
    const [anchor] = await conn.execute<{ seq: string }[]>('select seq::text as seq from audit_anchors where account_id = ?', [accountId]);
    return !anchor || BigInt(anchor.seq) < BigInt(point.seq);
  }

  private mac(accountId: string, p: Omit<VerifiedPoint, 'mac'>): string {
    return createHmac('sha256', this.secrets.auditChainKey)
      .update(['latchkey audit verified point v1', accountId, p.seq, p.eventId, p.hash, p.horizon].join('\n'))
      .digest('hex');
  }

  private sign(accountId: string, p: VerifiedPoint): VerifiedPoint {
    return { ...p, mac: this.mac(accountId, p) };
  }

  /** A point is used only if this server wrote it. */
  private trusted(accountId: string, p: VerifiedPoint): boolean {
    const expected = Buffer.from(this.mac(accountId, p));
    const given = Buffer.from(p.mac);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

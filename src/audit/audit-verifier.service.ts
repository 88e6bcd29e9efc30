import { type EntityManager, type EntityProperty, MikroORM } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServerSecrets } from '../common/crypto/server-secrets';
import { DomainException } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import { AuditEvent } from './audit-event.entity';
import { AuditService } from './audit.service';
import type { AuditVerifyDto } from './dto/audit-event.dto';
import { resumePoint, type Position, type VerifiedPoint } from './verified-point';

/** Events per query: small batches, so PostgreSQL's share of the work comes in short pieces too. */
const PAGE = 250;
/** The longest the check holds the event loop at a stretch. */
const SLICE_MS = 1;
/** The shortest rest after a slice or a batch; it doubles while rests end late (a busy loop or machine). */
const REST_MS = 4;
const MAX_REST_MS = 64;
const LEASE_MS = 30_000;
const RENEW_MS = 10_000;
/** How long a call waits for another instance's check of the same account while that one stays alive. */
const WAIT_MS = 5 * 60_000;
const POLL_MS = 200;

type Outcome = AuditVerifyDto & { last: { seq: string; id: string; hash: string } | null };
type Conn = ReturnType<EntityManager['getConnection']>;

/**
 * Checks an account's chain from where it was last found intact, or from its start (`full`),
 * a millisecond at a time with longer rests between. One check per account runs at a time: in this
 * process concurrent calls share it, across instances a lease row in audit_verifications serialises
 * them. Checks from a chain's start take turns process-wide, one at a time.
 */
@Injectable()
export class AuditVerifier {
  private readonly running = new Map<string, { full: boolean; result: Promise<AuditVerifyDto> }>();
  /** The end of the queue of whole-chain walks. */
  private wholeChainTurn: Promise<void> = Promise.resolve();
  private columns?: EntityProperty<AuditEvent>[];

  constructor(
    private readonly orm: MikroORM,
    private readonly audit: AuditService,
    private readonly secrets: ServerSecrets,
  ) {}

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
      // Any change to a row committed by a transaction from here on is newer than this horizon.
      const [{ horizon }] = await conn.execute<{ horizon: string }[]>('select pg_snapshot_xmin(pg_current_snapshot())::text as horizon');
      const point = stored && this.trusted(accountId, stored) ? stored : null;
      const from = await resumePoint(conn, accountId, full ? null : point);
      const outcome = from.point ? await this.walk(conn, accountId, from) : await this.inTurn(() => this.walk(conn, accountId, from));
      const { last, ...result } = outcome;
      if (!result.ok) return result;
      const end = last ?? (from.point ? { seq: from.point.seq, id: from.point.eventId, hash: from.point.hash } : null);
      if (point && (!end || BigInt(end.seq) < BigInt(point.seq)) && (await this.truncated(conn, accountId, point))) {
        return { ok: false, checked: result.checked, first_broken_event_id: point.eventId };
      }
      if (end) saved = this.sign(accountId, { seq: end.seq, eventId: end.id, hash: end.hash, horizon, mac: '' });
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

  /** From `from` to the chain's end; the first event whose position, link or hash is wrong ends it. */
  private async walk(conn: Conn, accountId: string, from: Position): Promise<Outcome> {
    let prevHash = from.hash;
    let expected = from.seq + 1n;
    let checked = 0;
    let last: Outcome['last'] = null;
    let restMs = REST_MS;
    // A rest that ends late means other work wants the loop or the cores: the next one is longer.
    const rest = async () => {
      const started = performance.now();
      await sleep(restMs);
      const late = performance.now() - started - restMs;
      restMs = late > REST_MS ? Math.min(restMs * 2, MAX_REST_MS) : Math.max(restMs / 2, REST_MS);
    };
    let slice = performance.now();
    page: for (;;) {
      // Raw rows, read one by one inside the slices: hydrating a page of entities at once would hold the loop.
      const rows = await conn.execute<Record<string, unknown>[]>(
        'select * from audit_events where account_id = ? and seq >= ? order by seq asc limit ?',
        [accountId, String(expected), PAGE],
      );
      for (const row of rows) {
        const event = this.read(row);
        if (BigInt(event.seq) !== expected) {
          // Retention may have pruned past this position meanwhile: the chain then goes on from its new anchor.
          const [anchor] = await conn.execute<{ seq: string; hash: string }[]>('select seq::text as seq, hash from audit_anchors where account_id = ?', [accountId]);
          if (anchor && BigInt(anchor.seq) >= expected) {
            prevHash = anchor.hash;
            expected = BigInt(anchor.seq) + 1n;
            continue page;
          }
        }
        checked++;
        const intact = BigInt(event.seq) === expected && event.prevHash === prevHash && this.audit.linkHash(prevHash, event) === event.hash;
        if (!intact) return { ok: false, checked, first_broken_event_id: event.id, last };
        prevHash = event.hash;
        expected++;
        last = { seq: event.seq, id: event.id, hash: event.hash };
        if (performance.now() - slice >= SLICE_MS) {
          await rest();
          slice = performance.now();
        }
      }
      if (rows.length < PAGE) return { ok: true, checked, first_broken_event_id: null, last };
      await rest();
      slice = performance.now();
    }
  }

  /**
   * A raw audit_events row with an AuditEvent's fields, converted as the ORM would (from its
   * metadata, so a new column is read too) but without the unit of work, which costs more than the hash.
   */
  private read(row: Record<string, unknown>): AuditEvent {
    this.columns ??= this.orm.getMetadata().get(AuditEvent).props.filter((p) => p.fieldNames?.length === 1);
    const platform = this.orm.em.getPlatform();
    // A plain object: the entity's prototype carries the ORM's property setters.
    const event: Record<string, unknown> = {};
    for (const prop of this.columns) {
      let value = row[prop.fieldNames[0]] ?? null;
      if (value !== null && prop.customType) value = prop.customType.convertToJSValue(value, platform);
      else if (value !== null && prop.runtimeType === 'Date' && !(value instanceof Date)) value = new Date(value as string);
      event[prop.name] = value;
    }
    return event as unknown as AuditEvent;
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

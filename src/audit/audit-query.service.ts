import { EntityManager, type FilterQuery } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { stringify } from 'csv-stringify/sync';
import { Readable } from 'node:stream';
import { DomainException } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import { Paginated } from '../common/http/envelope';
import { AuditEvent } from './audit-event.entity';
import { AuditVerifier } from './audit-verifier.service';
import { AuditEventDto, type AuditFilterDto, type AuditListQueryDto, type AuditVerifyDto } from './dto/audit-event.dto';

const BATCH = 1000;
const CSV_COLUMNS = [
  'id', 'seq', 'occurred_at', 'account_id', 'actor_type', 'actor_id', 'actor_session_id', 'action', 'target_type', 'target_id',
  'ip', 'user_agent', 'request_id', 'changes', 'prev_hash', 'hash',
];

const invalidCursor = () =>
  new DomainException(ErrorCode.ValidationFailed, 'The request is not valid.', [
    { field: 'cursor', message: 'cursor is not a cursor this API returned' },
  ]);

/** A spreadsheet must never read an audit field as a formula. */
const defuse = (v: string | null) => (v && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v);

const csvRow = (d: AuditEventDto) => [
  // A user's id is the operator's text, so it is defused like the client's.
  d.id, d.seq, d.occurred_at, d.account_id, d.actor.type, defuse(d.actor.id), d.actor.session_id ?? '', d.action, d.target.type, d.target.id,
  defuse(d.ip), defuse(d.user_agent), defuse(d.request_id), d.changes ? JSON.stringify(d.changes) : '', d.prev_hash, d.hash,
];

/** Reading an account's audit log: pages, streamed exports, and the chain check. */
@Injectable()
export class AuditQueryService {
  constructor(
    private readonly em: EntityManager,
    private readonly verifier: AuditVerifier,
  ) {}

  /**
   * Newest first. A time window is walked by time, from the (account_id, occurred_at) index;
   * without one, by position in the chain. The cursor carries the last row's position either way.
   */
  async list(accountId: string, query: AuditListQueryDto): Promise<Paginated<AuditEventDto>> {
    const where = this.where(accountId, query);
    const byTime = Boolean(query.since || query.until);
    if (query.cursor) {
      const after = decodeCursor(query.cursor, byTime);
      if (after.at) where.$or = [{ occurredAt: { $lt: after.at } }, { occurredAt: after.at, seq: { $lt: after.seq } }];
      else where.seq = { $lt: after.seq };
    }
    const orderBy = byTime ? ({ occurredAt: 'desc', seq: 'desc' } as const) : ({ seq: 'desc' } as const);
    const rows = await this.em.find(AuditEvent, where, { orderBy, limit: query.limit + 1 });
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    const position = last && (byTime ? `at:${last.occurredAt.toISOString()}|${last.seq}` : `seq:${last.seq}`);
    const next = rows.length > query.limit ? Buffer.from(position).toString('base64url') : null;
    return new Paginated(items.map(AuditEventDto.from), next);
  }

  /**
   * The matching events, oldest first, fetched a batch at a time as the client reads (the stream
   * waits for the socket), each batch written as one chunk: memory stays flat. A later batch that
   * fails cuts the response off, so a partial file never looks complete.
   */
  async export(accountId: string, filter: AuditFilterDto, format: 'ndjson' | 'csv'): Promise<Readable> {
    const pages = this.batches(accountId, filter);
    // The first query runs before any header is sent, so its failure is an error response, not a cut 200.
    const first = await pages.next();
    return Readable.from(this.chunks(first.done ? null : first.value, pages, format));
  }

  /** From the last verified point, or from the chain's start with `full`; see AuditVerifier. */
  verify(accountId: string, full = false): Promise<AuditVerifyDto> {
    return this.verifier.verify(accountId, full);
  }

  private async *chunks(first: AuditEvent[] | null, rest: AsyncGenerator<AuditEvent[]>, format: 'ndjson' | 'csv'): AsyncGenerator<string> {
    const render = (batch: AuditEvent[]) => {
      const dtos = batch.map(AuditEventDto.from);
      return format === 'ndjson' ? `${dtos.map((d) => JSON.stringify(d)).join('\n')}\n` : stringify(dtos.map(csvRow));
    };
    if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\n`;
    if (!first) return;
    yield render(first);
    for await (const batch of rest) yield render(batch);
  }

  private async *batches(accountId: string, filter: AuditFilterDto): AsyncGenerator<AuditEvent[]> {
    const em = this.em.fork();
    let after = '0';
    for (;;) {
      const where = this.where(accountId, filter);
      where.seq = { $gt: after };
      const rows = await em.find(AuditEvent, where, { orderBy: { seq: 'asc' }, limit: BATCH });
      em.clear();
      if (rows.length) yield rows;
      if (rows.length < BATCH) return;
      after = rows[rows.length - 1].seq;
    }
  }

  private where(accountId: string, filter: AuditFilterDto): FilterQuery<AuditEvent> & Record<string, unknown> {
    const where: Record<string, unknown> = { accountId };
    if (filter.key_id) where.targetId = filter.key_id;
    if (filter.action) where.action = filter.action;
    if (filter.actor_id) where.actorId = filter.actor_id;
    if (filter.actor_type) where.actorType = filter.actor_type;
    if (filter.since || filter.until) {
      where.occurredAt = {
        ...(filter.since ? { $gte: new Date(filter.since) } : {}),
        ...(filter.until ? { $lt: new Date(filter.until) } : {}),
      };
    }
    return where as FilterQuery<AuditEvent> & Record<string, unknown>;
  }
}

function decodeCursor(cursor: string, byTime: boolean): { seq: string; at?: Date } {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(cursor)) throw invalidCursor();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = byTime ? /^at:(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\|(\d{1,18})$/.exec(text) : /^seq:(\d{1,18})$/.exec(text);
  if (!match) throw invalidCursor();
  if (!byTime) return { seq: match[1] };
  const at = new Date(match[1]);
  if (Number.isNaN(at.getTime())) throw invalidCursor();
  return { seq: match[2], at };
}

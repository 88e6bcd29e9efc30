import { EntityManager, type FilterQuery } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { type Readable } from 'node:stream';
import { DomainException } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import { Paginated } from '../common/http/envelope';
import { AuditEvent } from './audit-event.entity';
import { AuditExport } from './audit-export';
import { type ExportFormat } from './audit-export-format';
import { AuditVerifier } from './audit-verifier.service';
import { AuditEventDto, type AuditFilterDto, type AuditListQueryDto, type AuditVerifyDto } from './dto/audit-event.dto';

const invalidCursor = () =>
  new DomainException(ErrorCode.ValidationFailed, 'The request is not valid.', [
    { field: 'cursor', message: 'cursor is not a cursor this API returned' },
  ]);

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
   * The matching events, oldest first, streamed a page at a time as the client reads (see
   * AuditExport): memory stays flat. The first page is read before this resolves.
   */
  export(accountId: string, filter: AuditFilterDto, format: ExportFormat): Promise<Readable> {
    return new AuditExport(this.em.fork(), accountId, filter, format).stream();
  }

  /** From the last verified point, or from the chain's start with `full`; see AuditVerifier. */
  verify(accountId: string, full = false): Promise<AuditVerifyDto> {
    return this.verifier.verify(accountId, full);
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

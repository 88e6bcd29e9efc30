import { type EntityManager } from '@mikro-orm/core';
import { Readable } from 'node:stream';
import { type AuditEvent } from './audit-event.entity';
import { CSV_HEADER, type ExportFormat, renderPage } from './audit-export-format';
import { AuditEventDto, type AuditFilterDto } from './dto/audit-event.dto';

/** Rows a query. Larger pages measured no cheaper per row, and hold more memory while rendered. */
const PAGE = 1_000;
/** Bytes rendered ahead of the socket: about one page, so memory stays flat whatever the client's speed. */
const AHEAD = 1 << 20;

// Raw rows named like the entity's properties, so AuditEventDto.from renders them as it renders the list.
const COLUMNS = `id, account_id as "accountId", seq, occurred_at as "occurredAt", actor_type as "actorType", actor_id as "actorId",
  actor_session_id as "actorSessionId", action, target_type as "targetType", target_id as "targetId", ip, user_agent as "userAgent",
  request_id as "requestId", changes, prev_hash as "prevHash", hash`;

/** The list's filters (AuditQueryService.where) as SQL, the account first. */
function conditions(accountId: string, filter: AuditFilterDto): { sql: string; params: unknown[] } {
  const parts = ['account_id = ?'];
  const params: unknown[] = [accountId];
  const add = (sql: string, value: unknown) => {
    parts.push(sql);
    params.push(value);
  };
  if (filter.key_id) add('target_id = ?', filter.key_id);
  if (filter.action) add('action = ?', filter.action);
  if (filter.actor_id) add('actor_id = ?', filter.actor_id);
  if (filter.actor_type) add('actor_type = ?', filter.actor_type);
  // Through Date, as the list does: a bound is taken to the millisecond.
  if (filter.since) add('occurred_at >= ?', new Date(filter.since).toISOString());
  if (filter.until) add('occurred_at < ?', new Date(filter.until).toISOString());
  return { sql: parts.join(' and '), params };
}

type Page = AuditEventDto[];

/**
 * Streams an account's matching events, oldest first, a keyset page at a time, from raw rows
 * (no entity is hydrated): the bytes are those of AuditEventDto.from, as in the list.
 */
export class AuditExport {
  private readonly where: { sql: string; params: unknown[] };

  constructor(
    private readonly em: EntityManager,
    accountId: string,
    filter: AuditFilterDto,
    private readonly format: ExportFormat,
  ) {
    this.where = conditions(accountId, filter);
  }

  /** Runs the first query before it returns, so its failure is an error response, not a cut 200. */
  async stream(): Promise<Readable> {
    const first = await this.page('0');
    return Readable.from(this.chunks(first), { objectMode: false, highWaterMark: AHEAD });
  }

  /**
   * Each page's query starts before the previous page is rendered and written, so the database and
   * the socket work at the same time. A page that fails ends the stream with an error, which cuts
   * the response off: a partial file never looks complete.
   */
  private async *chunks(first: Page): AsyncGenerator<string> {
    let page = first;
    if (this.format === 'csv') yield CSV_HEADER;
    while (page.length) {
      const next = page.length === PAGE ? this.page(String(page[page.length - 1].seq)) : undefined;
      // Awaited below; until then a failure must not count as unhandled (the client may have gone).
      next?.catch(() => undefined);
      yield renderPage(page, this.format);
      if (!next) return;
      page = await next;
    }
  }

  private async page(after: string): Promise<Page> {
    const rows: Record<string, unknown>[] = await this.em
      .getConnection()
      .execute(`select ${COLUMNS} from audit_events where ${this.where.sql} and seq > ? order by seq limit ?`, [...this.where.params, after, PAGE]);
    const platform = this.em.getPlatform();
    return rows.map((row) => {
      // As the ORM hydrates a timestamptz: a driver's Date as it is, PostgreSQL's text through the platform.
      const at = row.occurredAt instanceof Date ? row.occurredAt : platform.parseDate(row.occurredAt as string);
      row.occurredAt = at instanceof Date ? at : new Date(at as number);
      return AuditEventDto.from(row as unknown as AuditEvent);
    });
  }
}

import { type EntityManager } from '@mikro-orm/core';
import { Readable } from 'node:stream';
import { nativeQuery, type NativeQuery, type Statement } from '../database/native-query';
import { CSV_HEADER, type ExportFormat, type ExportRow, renderPage } from './audit-export-format';
import { type AuditFilterDto } from './dto/audit-event.dto';

/** Rows a query. Larger pages measured no cheaper per row, and hold more memory while rendered. */
const PAGE = 1_000;
/** Bytes rendered ahead of the socket: about one page, so memory stays flat whatever the client's speed. */
const AHEAD = 1 << 20;

// In ExportRow's order. Not account_id: it is the account asked about, the same for every row.
const COLUMNS = `id, seq, occurred_at, actor_type, actor_id, actor_session_id, action, target_type, target_id, ip, user_agent,
  request_id, changes, prev_hash, hash`;

/** The list's filters (AuditQueryService.where) in SQL, the account first; the page's position and size follow. */
function statement(accountId: string, filter: AuditFilterDto): { statement: Statement; params: unknown[] } {
  const parts = ['account_id = $1'];
  const params: unknown[] = [accountId];
  let name = 'audit_export';
  // A prepared statement per combination of filters, named after them (one letter each).
  const add = (letter: string, sql: string, value: unknown) => {
    params.push(value);
    parts.push(`${sql} $${params.length}`);
    name += `_${letter}`;
  };
  if (filter.key_id) add('k', 'target_id =', filter.key_id);
  if (filter.action) add('a', 'action =', filter.action);
  if (filter.actor_id) add('i', 'actor_id =', filter.actor_id);
  if (filter.actor_type) add('t', 'actor_type =', filter.actor_type);
  // Through Date, as the list does: a bound is taken to the millisecond.
  if (filter.since) add('s', 'occurred_at >=', new Date(filter.since).toISOString());
  if (filter.until) add('u', 'occurred_at <', new Date(filter.until).toISOString());
  const n = params.length;
  const text = `select ${COLUMNS} from audit_events where ${parts.join(' and ')} and seq > $${n + 1} order by seq limit $${n + 2}`;
  return { statement: { name, text }, params };
}

/**
 * Streams an account's matching events, oldest first, a keyset page at a time, from raw rows
 * (no entity is hydrated, each row an array of its columns): the bytes are those of
 * AuditEventDto.from, as in the list.
 */
export class AuditExport {
  private readonly query: NativeQuery;
  private readonly statement: Statement;
  private readonly params: unknown[];

  constructor(
    private readonly em: EntityManager,
    private readonly accountId: string,
    filter: AuditFilterDto,
    private readonly format: ExportFormat,
  ) {
    this.query = nativeQuery(em);
    ({ statement: this.statement, params: this.params } = statement(accountId, filter));
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
  private async *chunks(first: ExportRow[]): AsyncGenerator<string | Buffer> {
    let page = first;
    if (this.format === 'csv') yield CSV_HEADER;
    const platform = this.em.getPlatform();
    while (page.length) {
      const next = page.length === PAGE ? this.page(page[page.length - 1][1]) : undefined;
      // Awaited below; until then a failure must not count as unhandled (the client may have gone).
      next?.catch(() => undefined);
      yield* renderPage(page, this.accountId, this.format, platform);
      if (!next) return;
      page = await next;
    }
  }

  private page(after: string): Promise<ExportRow[]> {
    return this.query<ExportRow>(this.statement, [...this.params, after, PAGE], 'array');
  }
}

import { type Platform } from '@mikro-orm/core';
import { type AuditEventDto } from './dto/audit-event.dto';

export type ExportFormat = 'ndjson' | 'csv';

/**
 * One event as the export reads it: id, seq, occurred_at, actor_type, actor_id, actor_session_id,
 * action, target_type, target_id, ip, user_agent, request_id, changes, prev_hash, hash (the account
 * is the one asked about). Text as PostgreSQL sends it; changes parsed from JSON.
 */
export type ExportRow = [
  string, string, unknown, string, string, string | null, string, string, string,
  string | null, string | null, string | null, Record<string, unknown> | null, string | null, string,
];

export const CSV_COLUMNS = [
  'id', 'seq', 'occurred_at', 'account_id', 'actor_type', 'actor_id', 'actor_session_id', 'action', 'target_type', 'target_id',
  'ip', 'user_agent', 'request_id', 'changes', 'prev_hash', 'hash',
];

/** A spreadsheet must never read an audit field as a formula. */
const defuse = (v: string | null) => (v && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v);

/** The cells of one CSV row, in CSV_COLUMNS' order. */
export const csvRow = (d: AuditEventDto): (string | number | null)[] => [
  // A user's id is the operator's text, so it is defused like the client's.
  d.id, d.seq, d.occurred_at, d.account_id, d.actor.type, defuse(d.actor.id), d.actor.session_id ?? '', d.action, d.target.type, d.target.id,
  defuse(d.ip), defuse(d.user_agent), defuse(d.request_id), d.changes ? JSON.stringify(d.changes) : '', d.prev_hash, d.hash,
];

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One CSV cell as csv-stringify writes it with its defaults (RFC 4180): quoted when it holds a quote,
 * a comma or a line break, quotes doubled; null and empty as nothing. The spec beside this file
 * checks the bytes against csv-stringify itself, which costs several times more per row.
 */
export function csvCell(v: string | number | null): string {
  if (v === null || v === '') return '';
  if (typeof v === 'number') return String(v);
  return NEEDS_QUOTES.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

export const csvLine = (cells: (string | number | null)[]) => `${cells.map(csvCell).join(',')}\n`;

export const CSV_HEADER = csvLine(CSV_COLUMNS);

/**
 * PostgreSQL's text of a timestamptz in UTC, years 1 to 9999 (DateStyle ISO): the fraction without
 * its trailing zeros, none for a whole second.
 */
const PG_UTC = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/;

/**
 * occurred_at as the ORM hydrates a timestamptz (a driver's Date as it is, PostgreSQL's text through
 * the platform), in ISO 8601. Text in UTC is rearranged instead, to the same characters: the
 * milliseconds truncated, as the platform's parser does.
 */
function iso(value: unknown, platform: Platform): string {
  const utc = typeof value === 'string' ? PG_UTC.exec(value) : null;
  if (utc) return `${utc[1]}T${utc[2]}.${utc[3] ? `${utc[3]}00`.slice(0, 3) : '000'}Z`;
  const at = value instanceof Date ? value : platform.parseDate(value as string);
  return (at instanceof Date ? at : new Date(at as number)).toISOString();
}

const json = JSON.stringify;

/**
 * One event as JSON.stringify(AuditEventDto.from(event)) writes it, in one template instead of an
 * object per event: the same keys in the same order, each value through JSON.stringify (null as
 * null), session_id only when there is one. The export's spec checks the bytes against the DTO's.
 */
function ndjsonLine(r: ExportRow, account: string, platform: Platform): string {
  const session = r[5] ? `,"session_id":${json(r[5])}` : '';
  return `{"id":${json(r[0])},"seq":${json(Number(r[1]))},"occurred_at":"${iso(r[2], platform)}","account_id":${account},` +
    `"actor":{"type":${json(r[3])},"id":${json(r[4])}${session}},"action":${json(r[6])},"target":{"type":${json(r[7])},"id":${json(r[8])}},` +
    `"ip":${json(r[9])},"user_agent":${json(r[10])},"request_id":${json(r[11])},"changes":${json(r[12])},"prev_hash":${json(r[13])},"hash":${json(r[14])}}\n`;
}

/** The cells of csvRow, from a row instead of a DTO. */
const csvRowOf = (r: ExportRow, accountId: string, platform: Platform): (string | number | null)[] => [
  r[0], Number(r[1]), iso(r[2], platform), accountId, r[3], defuse(r[4]), r[5] || '', r[6], r[7], r[8],
  defuse(r[9]), defuse(r[10]), defuse(r[11]), r[12] ? json(r[12]) : '', r[13], r[14],
];

/** Bytes of a chunk: a few dozen lines a socket write. */
const CHUNK = 64 * 1024;
/** UTF-16 units of lines joined before they are encoded: one encoding call for several lines. */
const BATCH = 4 * 1024;

/**
 * Lines encoded as UTF-8 straight into Buffers, a chunk at a time: no page-long string is built,
 * flattened and encoded again (each would be a large object for the garbage collector).
 */
class Chunks {
  readonly done: Buffer[] = [];
  private buf: Buffer | undefined;
  private used = 0;
  private pending = '';

  add(line: string): void {
    this.pending += line;
    if (this.pending.length >= BATCH) this.write();
  }

  flush(): Buffer[] {
    this.write();
    if (this.buf && this.used) this.done.push(this.buf.subarray(0, this.used));
    this.buf = undefined;
    this.used = 0;
    return this.done;
  }

  private write(): void {
    const text = this.pending;
    this.pending = '';
    if (!text) return;
    // A UTF-16 unit is at most 3 bytes of UTF-8.
    if (!this.buf || this.used + text.length * 3 > CHUNK) {
      if (this.buf && this.used) this.done.push(this.buf.subarray(0, this.used));
      this.used = 0;
      this.buf = undefined;
      if (text.length * 3 > CHUNK) return void this.done.push(Buffer.from(text));
      this.buf = Buffer.allocUnsafe(CHUNK);
    }
    this.used += this.buf.write(text, this.used);
  }
}

/** A page of events as UTF-8 chunks: a JSON object a line, or a CSV row a line. */
export function renderPage(rows: ExportRow[], accountId: string, format: ExportFormat, platform: Platform): Buffer[] {
  const out = new Chunks();
  if (format === 'ndjson') {
    const account = json(accountId);
    for (const r of rows) out.add(ndjsonLine(r, account, platform));
  } else for (const r of rows) out.add(csvLine(csvRowOf(r, accountId, platform)));
  return out.flush();
}

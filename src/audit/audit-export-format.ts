import { type AuditEventDto } from './dto/audit-event.dto';

export type ExportFormat = 'ndjson' | 'csv';

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

/** A page of events as one chunk: a JSON object a line, or a CSV row a line. */
export function renderPage(events: AuditEventDto[], format: ExportFormat): string {
  let out = '';
  if (format === 'ndjson') for (const e of events) out += `${JSON.stringify(e)}\n`;
  else for (const e of events) out += csvLine(csvRow(e));
  return out;
}

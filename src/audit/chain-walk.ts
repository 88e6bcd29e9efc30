import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditEvent } from './audit-event.entity';

/** Events per query: small batches, so PostgreSQL's share of the work comes in short pieces too. */
const PAGE = 250;
/** The longest the walk hashes at a stretch. */
const SLICE_MS = 1;
/** The shortest rest after a slice or a batch; it doubles while rests end late (a busy loop or machine). */
const REST_MS = 4;
const MAX_REST_MS = 64;

/** Runs SQL with `?` placeholders and returns its rows. */
export type Query = <T = Record<string, unknown>>(sql: string, params: unknown[]) => Promise<T[]>;

/** Where a walk starts: after `seq`, whose hash is `hash` (null at the very start of a chain). */
export interface WalkStart {
  accountId: string;
  seq: string;
  hash: string | null;
  /** The check's horizon (pg_snapshot_xmin when it began): rows as new as it are left for the next check. */
  horizon: string;
}

export interface WalkOutcome {
  ok: boolean;
  checked: number;
  first_broken_event_id: string | null;
  /** The last event hashed. */
  last: ChainEvent | null;
  /** The last event before the first one written by a transaction as new as the horizon. */
  verified: ChainEvent | null;
}

export interface ChainEvent {
  seq: string;
  id: string;
  hash: string;
}

export interface ChainReader {
  query: Query;
  /** A raw audit_events row as the AuditEvent it holds. */
  toEvent(row: Record<string, unknown>): AuditEvent;
  linkHash(prevHash: string | null, event: AuditEvent): string;
}

/**
 * From `start` to the chain's end; the first event whose position, link or hash is wrong ends it.
 * `verified` is the end of the events written before the check's horizon: events that arrive
 * while it runs are hashed too, but a stored point never covers them, so the next check's
 * "nothing changed before the point" test (no row version as new as the point's horizon) holds
 * however busy the account was, and that check hashes only what lies after the point.
 */
export async function walkChain(reader: ChainReader, start: WalkStart): Promise<WalkOutcome> {
  const { accountId } = start;
  let prevHash = start.hash;
  let expected = BigInt(start.seq) + 1n;
  let checked = 0;
  let last: ChainEvent | null = null;
  let verified: ChainEvent | null = null;
  let settled = true;
  let restMs = REST_MS;
  // A rest that ends late means other work wants the loop or the cores: the next one is longer.
  const rest = async () => {
    const started = performance.now();
    await sleep(restMs);
    const late = performance.now() - started - restMs;
    restMs = late > REST_MS ? Math.min(restMs * 2, MAX_REST_MS) : Math.max(restMs / 2, REST_MS);
  };
  const horizon = String(BigInt(start.horizon) % (1n << 32n));
  let slice = performance.now();
  page: for (;;) {
    const rows = await reader.query(
      'select *, age(xmin) > age(?::text::xid) as settled from audit_events where account_id = ? and seq >= ? order by seq asc limit ?',
      [horizon, accountId, String(expected), PAGE],
    );
    for (const row of rows) {
      const event = reader.toEvent(row);
      if (BigInt(event.seq) !== expected) {
        // Retention may have pruned past this position meanwhile: the chain then goes on from its new anchor.
        const [anchor] = await reader.query<{ seq: string; hash: string }>('select seq::text as seq, hash from audit_anchors where account_id = ?', [accountId]);
        if (anchor && BigInt(anchor.seq) >= expected) {
          prevHash = anchor.hash;
          expected = BigInt(anchor.seq) + 1n;
          continue page;
        }
      }
      checked++;
      const intact = BigInt(event.seq) === expected && event.prevHash === prevHash && reader.linkHash(prevHash, event) === event.hash;
      if (!intact) return { ok: false, checked, first_broken_event_id: event.id, last, verified };
      prevHash = event.hash;
      expected++;
      last = { seq: String(event.seq), id: event.id, hash: event.hash };
      settled &&= row.settled === true;
      if (settled) verified = last;
      if (performance.now() - slice >= SLICE_MS) {
        await rest();
        slice = performance.now();
      }
    }
    if (rows.length < PAGE) return { ok: true, checked, first_broken_event_id: null, last, verified };
    await rest();
    slice = performance.now();
  }
}

/** How a column of audit_events becomes its AuditEvent property, for a reader without the ORM. */
export interface EventColumn {
  property: string;
  field: string;
  kind: 'date' | 'json' | 'bigint' | 'plain';
}

/** An AuditEvent's fields from a raw row as node-postgres returns it (a plain object, like the ORM's read). */
export function eventFromRow(row: Record<string, unknown>, columns: EventColumn[]): AuditEvent {
  const event: Record<string, unknown> = {};
  for (const { property, field, kind } of columns) {
    let value = row[field] ?? null;
    if (value !== null && kind === 'date' && !(value instanceof Date)) value = new Date(value as string);
    else if (value !== null && kind === 'json' && typeof value === 'string') value = JSON.parse(value);
    else if (value !== null && kind === 'bigint') value = String(value);
    event[property] = value;
  }
  return event as unknown as AuditEvent;
}

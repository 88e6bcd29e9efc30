import type { EntityManager } from '@mikro-orm/core';

/** Where a chain was last found intact: the last checked event, and the horizon of that check. */
export interface VerifiedPoint {
  seq: string;
  eventId: string;
  hash: string;
  /** The check's horizon (see checkHorizon; a 64-bit transaction id). */
  horizon: string;
  mac: string;
}

/** Where a check starts: after `seq`, whose hash is `hash` (null at the very start of a chain). */
export interface Position {
  seq: bigint;
  hash: string | null;
  /** Set when the check resumes from a verified point. */
  point?: VerifiedPoint;
}

/** Past this many transactions a 32-bit `xmin` can no longer be told apart from an older one. */
const MAX_HORIZON_AGE = 1n << 30n;

interface Survey {
  anchor_seq: string | null;
  anchor_hash: string | null;
  present: string;
  changed: string;
  reaches: boolean;
  age: string;
}

/**
 * The position a check starts from: after the verified point when every event up to it is still
 * there, unchanged since it was checked (no row version newer than the point's horizon: any
 * UPDATE, even one the append-only trigger did not see, writes a new version) and the point's
 * event still carries its hash; otherwise, and when retention pruned past the point, after the
 * chain's anchor (or from seq 1). One statement, so retention cannot move the anchor in between.
 */
export async function resumePoint(conn: ReturnType<EntityManager['getConnection']>, accountId: string, point: VerifiedPoint | null): Promise<Position> {
  const seq = point?.seq ?? '0';
  const horizon = BigInt(point?.horizon ?? '0');
  const [s] = await conn.execute<Survey[]>(
    `select a.seq::text as anchor_seq, a.hash as anchor_hash, count(e.seq)::text as present,
            count(e.seq) filter (where age(e.xmin) <= age(?::text::xid))::text as changed,
            coalesce(bool_or(e.seq = ? and e.id = ? and e.hash = ?), false) as reaches,
            (pg_snapshot_xmax(pg_current_snapshot())::text::bigint - ?)::text as age
       from (select 1) as one
       left join audit_anchors a on a.account_id = ?
       left join audit_events e on ? and e.account_id = ? and e.seq > coalesce(a.seq, 0) and e.seq <= ?
      group by a.seq, a.hash`,
    [String(horizon % (1n << 32n)), seq, point?.eventId ?? '', point?.hash ?? '', String(horizon), accountId, point !== null, accountId, seq],
  );
  const anchor: Position = { seq: BigInt(s.anchor_seq ?? 0), hash: s.anchor_hash };
  if (!point || anchor.seq >= BigInt(point.seq)) return anchor;
  const age = BigInt(s.age);
  const intact =
    BigInt(s.present) === BigInt(point.seq) - anchor.seq && s.changed === '0' && s.reaches && age >= 0n && age < MAX_HORIZON_AGE;
  return intact ? { seq: BigInt(point.seq), hash: point.hash, point } : anchor;
}

/**
 * The oldest transaction id that may still change a row of this database once a check begins:
 * that of the oldest transaction of this database still open (or prepared), else the next one to
 * be assigned. Unlike pg_snapshot_xmin, transactions of other databases on the same server do not
 * hold it back, so events committed before the check are older than it on a busy server too.
 * (backend_xid is shown for every session, whoever runs it; a subtransaction's id is newer than
 * its parent's, so a change made through one is newer than the horizon too.)
 */
export async function checkHorizon(conn: ReturnType<EntityManager['getConnection']>): Promise<string> {
  const [{ horizon }] = await conn.execute<{ horizon: string }[]>(
    `with snap as (select pg_snapshot_xmax(pg_current_snapshot())::text::bigint as xmax),
          open as (select backend_xid as x from pg_stat_activity
                    where datname = current_database() and backend_xid is not null and pid <> pg_backend_pid()
                   union all select transaction from pg_prepared_xacts where database = current_database()),
          back as (select (snap.xmax % 4294967296 - open.x::text::bigint + 4294967296) % 4294967296 as n from snap, open)
     select (snap.xmax - coalesce((select max(n) from back where n < 2147483648), 0))::text as horizon from snap`,
  );
  return horizon;
}

import { MikroORM } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { PeriodicFlusher } from '../common/events/periodic-flusher';
import { nativeQuery, type NativeQuery, type Statement } from '../database/native-query';
import { KeyUsedEvent } from './events/key-used.event';

export const USAGE_FLUSH_MS = 2_000;
interface Counts {
  keyId: string;
  accountId: string;
  hour: Date;
  c2: number;
  c4: number;
  c5: number;
}
type Tally = Map<string, Counts>;

// One statement for any batch, its rows as arrays; keys deleted since their use are skipped (the join), not an error.
const WRITE: Statement = {
  name: 'latchkey_key_usage',
  text: `insert into key_usage (key_id, hour, account_id, count_2xx, count_4xx, count_5xx)
         select v.key_id, v.hour, v.account_id, v.c2, v.c4, v.c5
           from unnest($1::text[], $2::timestamptz[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[])
                as v(key_id, hour, account_id, c2, c4, c5)
           join api_keys k on k.id = v.key_id
         on conflict (key_id, hour) do update set
           count_2xx = key_usage.count_2xx + excluded.count_2xx,
           count_4xx = key_usage.count_4xx + excluded.count_4xx,
           count_5xx = key_usage.count_5xx + excluded.count_5xx`,
};

/** Counts requests per key, hour and status class in memory; adds them to `key_usage` in one upsert per flush. */
@Injectable()
export class UsageListener extends PeriodicFlusher<Tally> {
  private pending: Tally = new Map();
  private readonly query: NativeQuery;

  constructor(orm: MikroORM) {
    super(USAGE_FLUSH_MS);
    this.query = nativeQuery(orm.em);
  }

  @OnEvent(KeyUsedEvent.eventName)
  record(event: KeyUsedEvent): void {
    this.noteWork();
    const hour = Math.floor(event.at / 3_600_000) * 3_600_000;
    const id = `${event.keyId}|${hour}`;
    let counts = this.pending.get(id);
    if (!counts) this.pending.set(id, (counts = { keyId: event.keyId, accountId: event.accountId, hour: new Date(hour), c2: 0, c4: 0, c5: 0 }));
    if (event.statusCode >= 500) counts.c5++;
    else if (event.statusCode >= 400) counts.c4++;
    else counts.c2++;
  }

  protected take(): Tally | null {
    if (!this.pending.size) return null;
    const batch = this.pending;
    this.pending = new Map();
    return batch;
  }

  protected restore(batch: Tally): void {
    for (const [id, counts] of batch) {
      const newer = this.pending.get(id);
      if (newer) {
        newer.c2 += counts.c2;
        newer.c4 += counts.c4;
        newer.c5 += counts.c5;
      } else this.pending.set(id, counts);
    }
  }

  protected async write(batch: Tally): Promise<void> {
    const rows = [...batch.values()];
    await this.query(WRITE, [
      rows.map((r) => r.keyId),
      rows.map((r) => r.hour.toISOString()),
      rows.map((r) => r.accountId),
      rows.map((r) => r.c2),
      rows.map((r) => r.c4),
      rows.map((r) => r.c5),
    ]);
  }
}

import { MikroORM } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { PeriodicFlusher } from '../common/events/periodic-flusher';
import { nativeQuery, type NativeQuery, type Statement } from '../database/native-query';
import { KeyUsedEvent } from './events/key-used.event';

export const LAST_USED_FLUSH_MS = 2_000;
type Uses = Map<string, { at: number; ip: string | null }>;

// One statement for any batch, its rows as arrays: no SQL text (and plan) of the batch's size.
const WRITE: Statement = {
  name: 'latchkey_last_used',
  text: `update api_keys as k set last_used_at = v.at, last_used_ip = v.ip
           from unnest($1::text[], $2::timestamptz[], $3::text[]) as v(id, at, ip)
          where k.id = v.id and (k.last_used_at is null or k.last_used_at < v.at)`,
};

/**
 * Keeps the newest use of each key in memory and writes them all in one UPDATE every couple of
 * seconds (and at shutdown), so no request ever waits for, or causes, a write of its own.
 */
@Injectable()
export class LastUsedListener extends PeriodicFlusher<Uses> {
  private pending: Uses = new Map();
  private readonly query: NativeQuery;

  constructor(orm: MikroORM) {
    super(LAST_USED_FLUSH_MS);
    this.query = nativeQuery(orm.em);
  }

  @OnEvent(KeyUsedEvent.eventName)
  record(event: KeyUsedEvent): void {
    this.noteWork();
    const seen = this.pending.get(event.keyId);
    if (!seen) this.pending.set(event.keyId, { at: event.at, ip: event.ip });
    else if (seen.at < event.at) {
      // Updated in place: a new object per request would outlive the young generation and pile up as old garbage.
      seen.at = event.at;
      seen.ip = event.ip;
    }
  }

  protected take(): Uses | null {
    if (!this.pending.size) return null;
    const batch = this.pending;
    this.pending = new Map();
    return batch;
  }

  protected restore(batch: Uses): void {
    for (const [id, use] of batch) if (!this.pending.has(id)) this.pending.set(id, use);
  }

  protected async write(batch: Uses): Promise<void> {
    const uses = [...batch.values()];
    await this.query(WRITE, [[...batch.keys()], uses.map((u) => new Date(u.at).toISOString()), uses.map((u) => u.ip)]);
  }
}

import { MikroORM } from '@mikro-orm/core';
import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { KeyUsedEvent } from './events/key-used.event';

export const LAST_USED_FLUSH_MS = 2_000;

/**
 * Keeps the newest use of each key in memory and writes them all in one UPDATE every couple of
 * seconds (and at shutdown), so no request ever waits for, or causes, a write of its own.
 */
@Injectable()
export class LastUsedListener implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('LastUsed');
  private pending = new Map<string, { at: Date; ip: string | null }>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly orm: MikroORM) {}

  onModuleInit() {
    this.timer = setInterval(() => void this.flush(), LAST_USED_FLUSH_MS);
    this.timer.unref();
  }

  async onApplicationShutdown() {
    clearInterval(this.timer);
    await this.flush();
  }

  @OnEvent(KeyUsedEvent.eventName)
  record(event: KeyUsedEvent): void {
    const seen = this.pending.get(event.keyId);
    if (!seen || seen.at < event.at) this.pending.set(event.keyId, { at: event.at, ip: event.ip });
  }

  /** Writes what is pending; one flush at a time. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (!this.pending.size) return;
    const batch = this.pending;
    this.pending = new Map();
    const rows = [...batch];
    const values = rows.map(() => '(?, ?::timestamptz, ?)').join(', ');
    const params = rows.flatMap(([id, use]) => [id, use.at.toISOString(), use.ip]);
    try {
      await this.orm.em.fork().getConnection().execute(
        `update api_keys as k set last_used_at = v.at, last_used_ip = v.ip
           from (values ${values}) as v(id, at, ip)
          where k.id = v.id and (k.last_used_at is null or k.last_used_at < v.at)`,
        params,
      );
    } catch (err) {
      // Put the batch back (newer uses win) so a passing database failure loses nothing.
      for (const [id, use] of batch) if (!this.pending.has(id)) this.pending.set(id, use);
      this.logger.warn(`Could not record last use of ${batch.size} key(s): ${(err as Error).message}`);
    }
  }
}

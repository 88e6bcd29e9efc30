import { MikroORM } from '@mikro-orm/core';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';

const EVERY_HOUR = 3600 * 1000;
/** How long an ended or expired session row is kept, so audit events can still be matched to it. */
export const SESSION_KEPT_MS = 7 * 86_400_000;
const BATCH = 1000;

/** Sessions that ended or expired before a cutoff (given twice); found by the expiry and end indexes. */
export const FINISHED_SESSIONS = 'select id from portal_sessions where expires_at < ? or ended_at < ?';
// Batches keep each statement short; `skip locked` leaves a row another instance is deleting to it.
const DELETE = `delete from portal_sessions where id in (${FINISHED_SESSIONS} limit ${BATCH} for update skip locked)`;

/** Deletes portal session rows a week after they ended or expired: they can never be used again. */
@Injectable()
export class PortalSessionCleanupJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('PortalSessionCleanup');
  private firstRun?: NodeJS.Timeout;

  constructor(private readonly orm: MikroORM) {}

  onApplicationBootstrap() {
    this.firstRun = setTimeout(() => void this.run(), 15_000).unref();
  }

  onApplicationShutdown() {
    clearTimeout(this.firstRun);
  }

  @Interval(EVERY_HOUR)
  async run(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - SESSION_KEPT_MS);
    const conn = this.orm.em.fork().getConnection();
    let deleted = 0;
    try {
      for (;;) {
        const result = await conn.execute<{ affectedRows: number }>(DELETE, [cutoff, cutoff], 'run');
        const count = Number(result.affectedRows ?? 0);
        deleted += count;
        if (count < BATCH) break;
      }
      if (deleted) this.logger.log(`Deleted ${deleted} portal session(s) ended or expired before ${cutoff.toISOString()}`);
    } catch (err) {
      this.logger.warn(`Portal session cleanup did not run: ${(err as Error).message}`);
    }
    return deleted;
  }
}

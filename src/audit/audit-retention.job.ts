import { MikroORM } from '@mikro-orm/core';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Interval } from '@nestjs/schedule';
import type { AppConfig } from '../config/configuration';

const EVERY_SIX_HOURS = 6 * 3600 * 1000;

/**
 * Deletes audit events older than AUDIT_RETENTION_DAYS, account by account, and records the
 * last deleted event's position and hash as the account's anchor, so the chain stays verifiable
 * from the oldest remaining event. Its transaction is the only one the append-only trigger lets delete.
 */
@Injectable()
export class AuditRetentionJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('AuditRetention');
  private firstRun?: NodeJS.Timeout;

  constructor(
    private readonly orm: MikroORM,
    private readonly config: ConfigService<AppConfig, true>,
  ) {}

  onApplicationBootstrap() {
    this.firstRun = setTimeout(() => void this.run(), 10_000).unref();
  }

  onApplicationShutdown() {
    clearTimeout(this.firstRun);
  }

  @Interval(EVERY_SIX_HOURS)
  async run(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.get('audit', { infer: true }).retentionDays * 86_400_000);
    const em = this.orm.em.fork();
    let pruned = 0;
    try {
      const accounts = await em.getConnection().execute<{ account_id: string }[]>(
        'select distinct account_id from audit_events where occurred_at < ?',
        [cutoff],
      );
      for (const { account_id: accountId } of accounts) pruned += await this.prune(accountId, cutoff);
      if (pruned) this.logger.log(`Pruned ${pruned} audit event(s) older than ${cutoff.toISOString()}`);
    } catch (err) {
      this.logger.warn(`Audit retention did not run: ${(err as Error).message}`);
    }
    return pruned;
  }

  private prune(accountId: string, cutoff: Date): Promise<number> {
    return this.orm.em.fork().transactional(async (em) => {
      const conn = em.getConnection();
      const ctx = em.getTransactionContext();
      await conn.execute("select set_config('latchkey.audit_retention', 'on', true)", [], 'all', ctx);
      await conn.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`audit:${accountId}`], 'all', ctx);
      const [boundary] = await conn.execute<{ seq: string; hash: string }[]>(
        // Found through the (account_id, occurred_at) index: events are appended in time order.
        'select seq, hash from audit_events where account_id = ? and occurred_at < ? order by occurred_at desc, seq desc limit 1',
        [accountId, cutoff],
        'all',
        ctx,
      );
      if (!boundary) return 0;
      const deleted = await conn.execute<{ affectedRows: number }>(
        'delete from audit_events where account_id = ? and seq <= ?',
        [accountId, boundary.seq],
        'run',
        ctx,
      );
      await conn.execute(
        `insert into audit_anchors (account_id, seq, hash, pruned_at) values (?, ?, ?, now())
         on conflict (account_id) do update set seq = excluded.seq, hash = excluded.hash, pruned_at = excluded.pruned_at`,
        [accountId, boundary.seq, boundary.hash],
        'run',
        ctx,
      );
      return Number(deleted.affectedRows ?? 0);
    });
  }
}

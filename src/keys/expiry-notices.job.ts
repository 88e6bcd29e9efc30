import { EntityManager, MikroORM } from '@mikro-orm/core';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { WebhookEvents } from '../webhooks/webhook-events.service';
import { ApiKey } from './api-key.entity';
import { ApiKeyDto } from './dto/api-key.dto';

const DAY_MS = 86_400_000;
const BATCH = 100;
/** Expiries further back than this are not announced: keys that expired before notices existed, or during a long outage. */
const LATE_LIMIT_MS = 30 * DAY_MS;

/** The notices in order of urgency; a key gets at most one per `expires_at` and stage. */
const STAGES = [
  { notice: 'expiring_7d', type: 'api_key.expiring', daysLeft: 7 },
  { notice: 'expiring_1d', type: 'api_key.expiring', daysLeft: 1 },
  { notice: 'expired', type: 'api_key.expired' },
] as const;
const RANK_SENT = `(case expiry_notice when 'expired' then 3 when 'expiring_1d' then 2 when 'expiring_7d' then 1 else 0 end)`;
const RANK_DUE = `(case when expires_at <= ?::timestamptz then 3 when expires_at <= ?::timestamptz then 2 else 1 end)`;

// Only the most urgent notice due is sent (a key that crossed 7 days and 1 day while the service was
// down gets the 1-day one). Rows are claimed with SKIP LOCKED and marked in the transaction that
// writes their webhook, so several instances never send one twice. A moved expires_at no longer
// equals expiry_notice_for, which re-arms every notice.
const DUE = `
select id from api_keys
where revoked_at is null and expires_at is not null and expires_at <= ?::timestamptz and expires_at > ?::timestamptz
  and (active or expires_at <= ?::timestamptz)
  and (expiry_notice_for is distinct from expires_at or ${RANK_SENT} < ${RANK_DUE})
order by expires_at, id
limit ${BATCH}
for update skip locked`;

/**
 * Sends `api_key.expiring` 7 days and again 1 day before a key's `expires_at` (`days_left` 7, then 1)
 * and `api_key.expired` when it passes, each once per key and expiry, across restarts and instances.
 * Revoked keys get nothing; deactivated keys serve no traffic, so they get no warnings, only `expired`.
 */
@Injectable()
export class ExpiryNoticesJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ExpiryNotices');
  private firstRun?: NodeJS.Timeout;

  constructor(
    private readonly orm: MikroORM,
    private readonly webhooks: WebhookEvents,
  ) {}

  onApplicationBootstrap() {
    this.firstRun = setTimeout(() => void this.run(), 5_000).unref();
  }

  onApplicationShutdown() {
    clearTimeout(this.firstRun);
  }

  /** One pass at `now` (tests pass their own clock); returns how many notices were written. */
  @Interval(60_000)
  async run(now = new Date()): Promise<number> {
    let sent = 0;
    try {
      let claimed: number;
      do {
        claimed = await this.orm.em.fork().transactional((em) => this.batch(em, now));
        sent += claimed;
      } while (claimed === BATCH);
    } catch (err) {
      this.logger.warn(`Expiry notices did not run: ${(err as Error).message}`);
    }
    return sent;
  }

  private async batch(em: EntityManager, now: Date): Promise<number> {
    const at = (ms: number) => new Date(now.getTime() + ms);
    const ctx = em.getTransactionContext();
    const rows: { id: string }[] = await em.getConnection().execute(DUE, [at(7 * DAY_MS), at(-LATE_LIMIT_MS), now, now, at(DAY_MS)], 'all', ctx);
    if (!rows.length) return 0;
    for (const key of await em.find(ApiKey, { id: { $in: rows.map((r) => r.id) } })) {
      const left = key.expiresAt!.getTime() - now.getTime();
      const stage = left <= 0 ? STAGES[2] : left <= DAY_MS ? STAGES[1] : STAGES[0];
      await this.webhooks.enqueue(em, {
        accountId: key.account.id,
        type: stage.type,
        environment: key.environment,
        object: ApiKeyDto.from(key, now),
        ...('daysLeft' in stage ? { daysLeft: stage.daysLeft } : {}),
      });
      await em.getConnection().execute('update api_keys set expiry_notice = ?, expiry_notice_for = expires_at where id = ?', [stage.notice, key.id], 'run', ctx);
    }
    return rows.length;
  }
}

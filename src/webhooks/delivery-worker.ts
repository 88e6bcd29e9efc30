import { EntityManager, MikroORM } from '@mikro-orm/core';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Client } from 'pg';
import { randomBase62 } from '../common/crypto/base62';
import type { AppConfig } from '../config/configuration';
import { DATABASE_TARGET } from '../database/database.module';
import type { DatabaseTarget } from '../database/mikro-orm.config';
import { DeliverySignal } from './delivery-signal';
import { nextAttemptDelay } from './retry-schedule';
import { SecretBox } from './secret-box';
import { DeliveryStatus, WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { WEBHOOK_CHANNEL } from './webhook-events.service';
import { WEBHOOK_DELIVERY_OPTIONS, type WebhookDeliveryOptions } from './webhook-options';
import { type SendResult, WebhookSender } from './webhook-sender';
import { signatureHeaders } from './webhook-signer';

interface Claim {
  id: string;
  event_id: string;
  endpoint_id: string;
  account_id: string;
  attempts: number;
  body: string;
  url: string;
  secret_ciphertext: string;
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: Date | null;
  failing_since: Date | null;
}

/**
 * Sends due deliveries in the background, at least once. Each instance claims rows with
 * `FOR UPDATE SKIP LOCKED` and leases them by moving `next_attempt_at` past the attempt, so two
 * instances never take the same attempt and a crashed instance's attempts come due again. Woken by
 * the commit-time notification of `WebhookEvents.enqueue` (and by this instance's own API), and
 * polling for retries and work it was not told about.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private em!: EntityManager;
  private stopped = false;
  private running = false;
  private again = false;
  private poll?: NodeJS.Timeout;
  private unlisten?: () => Promise<void>;
  private readonly perEndpoint = new Map<string, number>();
  private readonly attempts = new Set<Promise<void>>();

  constructor(
    private readonly orm: MikroORM,
    @Inject(WEBHOOK_DELIVERY_OPTIONS) private readonly options: WebhookDeliveryOptions,
    @Inject(DATABASE_TARGET) private readonly database: { target: DatabaseTarget },
    private readonly config: ConfigService<AppConfig, true>,
    private readonly sender: WebhookSender,
    private readonly endpoints: WebhookEndpointsService,
    private readonly box: SecretBox,
    signal: DeliverySignal,
  ) {
    signal.onWake(() => this.wake());
  }

  async onApplicationBootstrap() {
    this.em = this.orm.em.fork();
    await this.listen();
    this.poll = setInterval(() => this.wake(), this.options.pollIntervalMs);
    this.poll.unref();
    this.wake();
  }

  /** Stops claiming, aborts the attempts in flight and hands them back, so none waits for a lease. */
  async beforeApplicationShutdown() {
    this.stopped = true;
    clearInterval(this.poll);
    await this.unlisten?.().catch(() => undefined);
    this.sender.abortAll();
    await Promise.allSettled([...this.attempts]);
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      do {
        this.again = false;
        const free = this.options.globalConcurrency - this.attempts.size;
        if (free <= 0) break;
        const claimed = await this.claim(free);
        for (const claim of claimed) this.start(claim);
        if (claimed.length === free) this.again = true;
      } while (this.again && !this.stopped);
    } catch (err) {
      this.logger.warn(`Webhook delivery paused until the next poll: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }

  /**
   * One statement: lock due rows (skipping those another instance holds), keep at most the free
   * slots of each endpoint and of this instance, and lease them by moving `next_attempt_at` on.
   */
  private async claim(limit: number): Promise<Claim[]> {
    const busy = [...this.perEndpoint];
    const now = new Date();
    const busyValues = busy.length ? `values ${busy.map(() => '(?::text, ?::int)').join(', ')}` : 'select null::text, 0 where false';
    return this.em.getConnection().execute<Claim[]>(
      `with due as (
         select d.id, d.endpoint_id, d.next_attempt_at from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
         where d.status in ('pending', 'failed') and d.next_attempt_at <= ? and e.status = 'enabled'
         order by d.next_attempt_at limit ? for update of d skip locked
       ), busy (endpoint_id, n) as (${busyValues}
       ), picked as (
         select r.id from (select due.*, row_number() over (partition by due.endpoint_id order by due.next_attempt_at) as rank from due) r
         left join busy b on b.endpoint_id = r.endpoint_id
         where r.rank <= ? - coalesce(b.n, 0) order by r.next_attempt_at limit ?
       ), claimed as (
         update webhook_deliveries w set attempts = w.attempts + 1, next_attempt_at = ?, updated_at = ?
         from picked where w.id = picked.id returning w.id, w.event_id, w.endpoint_id, w.account_id, w.attempts
       )
       select c.*, ev.body, e.url, e.secret_ciphertext, e.previous_secret_ciphertext, e.previous_secret_expires_at, e.failing_since
       from claimed c join webhook_events ev on ev.id = c.event_id join webhook_endpoints e on e.id = c.endpoint_id`,
      [now, limit * 4, ...busy.flat(), this.options.perEndpointConcurrency, limit, new Date(now.getTime() + this.options.leaseMs), now],
    );
  }

  private start(claim: Claim): void {
    this.perEndpoint.set(claim.endpoint_id, (this.perEndpoint.get(claim.endpoint_id) ?? 0) + 1);
    const attempt: Promise<void> = this.attempt(claim)
      .catch((err: Error) => this.logger.error(`Webhook delivery ${claim.id} could not be recorded: ${err.message}`))
      .finally(() => {
        const left = (this.perEndpoint.get(claim.endpoint_id) ?? 1) - 1;
        if (left > 0) this.perEndpoint.set(claim.endpoint_id, left);
        else this.perEndpoint.delete(claim.endpoint_id);
        this.attempts.delete(attempt);
        this.wake();
      });
    this.attempts.add(attempt);
  }

  private async attempt(claim: Claim): Promise<void> {
    const at = new Date();
    let result: SendResult;
    try {
      const secrets = [this.box.open(claim.secret_ciphertext, claim.endpoint_id)];
      const previousUntil = claim.previous_secret_expires_at && new Date(claim.previous_secret_expires_at);
      if (claim.previous_secret_ciphertext && previousUntil && previousUntil > at) {
        secrets.push(this.box.open(claim.previous_secret_ciphertext, claim.endpoint_id));
      }
      result = await this.sender.send(claim.url, signatureHeaders(claim.event_id, claim.body, secrets, at), claim.body);
    } catch (err) {
      result = { status: null, body: null, error: `could not sign: ${(err as Error).message}`, retryAfterMs: null, durationMs: 0 };
    }
    if (this.stopped && result.status === null) return this.release(claim);
    await this.record(claim, at, result);
  }

  /** An attempt cut short by shutdown is handed back as if never claimed. */
  private async release(claim: Claim): Promise<void> {
    await this.em.fork().nativeUpdate(
      WebhookDelivery,
      { id: claim.id, attempts: claim.attempts },
      { attempts: claim.attempts - 1, nextAttemptAt: new Date() },
    );
  }

  /** One statement records the attempt, settles the delivery and tracks the endpoint's failing streak. */
  private async record(claim: Claim, at: Date, result: SendResult): Promise<void> {
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    const retryIn = ok ? null : nextAttemptDelay(claim.attempts, result.retryAfterMs, this.options);
    const status = ok ? DeliveryStatus.Succeeded : retryIn === null ? DeliveryStatus.Exhausted : DeliveryStatus.Failed;
    const text = (value: string | null) => value && value.replace(/\0/g, '');
    // Only the attempt that holds the claim settles the delivery (a lease that ran out was retaken).
    await this.em.getConnection().execute(
      `with attempt as (
         insert into webhook_attempts (id, delivery_id, number, attempted_at, duration_ms, response_status, response_body, error)
         values (?, ?, ?, ?, ?, ?, ?, ?)
       ), settled as (
         update webhook_deliveries set status = ?, response_status = ?, last_attempt_at = ?, next_attempt_at = ?, updated_at = ?
         where id = ? and attempts = ?
       )
       update webhook_endpoints set failing_since = ${ok ? 'null' : '?'} where id = ? and failing_since is ${ok ? 'not null' : 'null'}`,
      [
        `wha_${randomBase62(22)}`, claim.id, claim.attempts, at, result.durationMs, result.status, text(result.body), text(result.error),
        status, result.status, at, retryIn === null ? null : new Date(at.getTime() + retryIn), new Date(), claim.id, claim.attempts,
        ...(ok ? [] : [at]), claim.endpoint_id,
      ],
    );
    if (ok) return;
    const failingFor = claim.failing_since ? at.getTime() - new Date(claim.failing_since).getTime() : 0;
    if (result.status !== 410 && failingFor < this.options.disableAfterMs) return;
    const days = Math.round(this.options.disableAfterMs / 86_400_000);
    const reason = result.status === 410 ? 'The endpoint answered 410 Gone.' : `Every delivery attempt failed for ${days} days.`;
    await this.em.fork().transactional((em) => this.endpoints.disableBySystem(em, claim.account_id, claim.endpoint_id, reason));
  }

  /** LISTENs for enqueue's commit-time notification: on PostgreSQL on a connection of its own, in process on PGlite. */
  private async listen(): Promise<void> {
    const { target } = this.database;
    if ('pglite' in target) {
      this.unlisten = await target.pglite.listen(WEBHOOK_CHANNEL, () => this.wake());
      return;
    }
    const connect = async (): Promise<void> => {
      if (this.stopped) return;
      const client = new Client({ connectionString: this.config.get('database', { infer: true }).url, connectionTimeoutMillis: 2_000 });
      const retry = () => {
        client.removeAllListeners();
        client.on('error', () => undefined);
        client.end().catch(() => undefined);
        // Until it is back, the poll finds the work.
        if (!this.stopped) setTimeout(() => void connect(), this.options.pollIntervalMs).unref();
      };
      client.on('error', retry);
      client.on('notification', () => this.wake());
      try {
        await client.connect();
        await client.query(`listen ${WEBHOOK_CHANNEL}`);
        this.unlisten = async () => {
          client.removeAllListeners();
          client.on('error', () => undefined);
          await client.end();
        };
      } catch {
        retry();
      }
    };
    await connect();
  }
}

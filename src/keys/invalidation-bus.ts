import { EntityManager } from '@mikro-orm/core';
import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Client } from 'pg';
import type { AppConfig } from '../config/configuration';
import { type Invalidation, KeyCache } from './key-cache';

export const INVALIDATION_CHANNEL = 'latchkey_key_changes';
const RECONNECT_MS = 250;
/** A stalled server does not close the LISTEN connection: a heartbeat notices it. */
const HEARTBEAT_MS = 1_000;

/**
 * Tells every instance that keys, accounts or plans changed. The message is sent with
 * `pg_notify` inside the change's transaction, so PostgreSQL delivers it exactly when the change
 * commits; this instance applies it right after commit, before answering. Each instance LISTENs
 * on a dedicated connection; while that connection is down its cache is not trusted.
 */
@Injectable()
export class InvalidationBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('KeyChanges');
  private client?: Client;
  private stopped = false;
  private retry?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly em: EntityManager,
    private readonly cache: KeyCache,
    private readonly config: ConfigService<AppConfig, true>,
  ) {}

  async onModuleInit() {
    // The embedded database serves one process only: there is nobody to tell.
    if (!this.config.get('database', { infer: true }).url) return;
    this.cache.setTrusted(false);
    await this.listen();
  }

  async onApplicationShutdown() {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.heartbeat);
    await this.client?.end().catch(() => undefined);
  }

  /**
   * Runs `work` in a transaction; what it reports through `changed` is announced to every
   * instance on commit and applied to this one before the result is returned.
   */
  async transactional<T>(work: (em: EntityManager, changed: (c: Invalidation) => void) => Promise<T>): Promise<T> {
    const changes: Invalidation[] = [];
    const result = await this.em.transactional(async (em) => {
      const value = await work(em, (c) => changes.push(c));
      if (changes.length) await this.announce(em, changes);
      return value;
    });
    this.applyLocally(changes);
    return result;
  }

  /** Queues `changes` to be announced when `em`'s transaction commits. */
  async announce(em: EntityManager, changes: Invalidation[]): Promise<void> {
    if (!this.config.get('database', { infer: true }).url) return;
    await em.getConnection().execute('select pg_notify(?, ?)', [INVALIDATION_CHANNEL, JSON.stringify(changes)], 'all', em.getTransactionContext());
  }

  /** Applies `changes` to this instance's cache (after the commit). */
  applyLocally(changes: Invalidation[]): void {
    for (const change of changes) this.cache.apply(change);
  }

  private async listen(): Promise<void> {
    const client = new Client({
      connectionString: this.config.get('database', { infer: true }).url,
      connectionTimeoutMillis: 2_000,
      query_timeout: HEARTBEAT_MS,
    });
    const lost = (why: string) => {
      if (this.client !== client) return;
      this.client = undefined;
      clearInterval(this.heartbeat);
      this.cache.setTrusted(false);
      client.removeAllListeners();
      client.on('error', () => undefined); // a late socket error of the discarded connection
      client.end().catch(() => undefined);
      if (this.stopped) return;
      this.logger.warn(`Key-change channel lost (${why}); authenticating from the database until it is back`);
      this.retry = setTimeout(() => void this.listen(), RECONNECT_MS);
    };
    this.client = client;
    client.on('error', (err) => lost(err.message));
    client.on('end', () => lost('connection ended'));
    client.on('notification', (message) => {
      if (message.channel !== INVALIDATION_CHANNEL || !message.payload) return;
      try {
        this.applyLocally(JSON.parse(message.payload) as Invalidation[]);
      } catch {
        this.cache.apply({ all: true });
      }
    });
    try {
      await client.connect();
      await client.query(`listen ${INVALIDATION_CHANNEL}`);
      if (this.client !== client) return;
      this.cache.setTrusted(true);
      clearInterval(this.heartbeat);
      this.heartbeat = setInterval(() => client.query('select 1').catch((err: Error) => lost(`heartbeat: ${err.message}`)), HEARTBEAT_MS);
      this.heartbeat.unref();
    } catch (err) {
      lost((err as Error).message);
    }
  }
}

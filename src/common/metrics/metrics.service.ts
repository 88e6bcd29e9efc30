import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { AuthFailureRecorder } from '../../audit/auth-failure.recorder';
import { AuthFailedEvent } from '../../keys/events/auth-failed.event';
import { KeyCache } from '../../keys/key-cache';
import { LastUsedListener } from '../../keys/last-used.listener';
import { UsageListener } from '../../keys/usage.listener';

/** Prometheus metrics, in a registry of this application's own (several apps may share a process in tests). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'latchkey_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'],
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'latchkey_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status class',
    labelNames: ['route', 'method', 'status_class'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly authFailures = new Counter({
    name: 'latchkey_auth_failures_total',
    help: 'Refused authentications by reason (the contract error code)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly rateLimited = new Counter({
    name: 'latchkey_rate_limit_rejections_total',
    help: '429s by budget: plan (an account), invalid_key or anonymous (a client IP)',
    labelNames: ['budget'],
    registers: [this.registry],
  });

  constructor(cache: KeyCache, lastUsed: LastUsedListener, usage: UsageListener, authFailures: AuthFailureRecorder) {
    collectDefaultMetrics({ register: this.registry, prefix: 'latchkey_process_' });
    new Gauge({
      name: 'latchkey_key_cache_hit_ratio',
      help: 'Share of key lookups answered from the verified-key cache since start',
      registers: [this.registry],
      collect() {
        const total = cache.hits + cache.misses;
        this.set(total ? cache.hits / total : 0);
      },
    });
    new Gauge({
      name: 'latchkey_key_cache_trusted',
      help: '1 while the key-change channel is up and the cache is used; 0 while every lookup goes to the database',
      registers: [this.registry],
      collect() {
        this.set(cache.isTrusted ? 1 : 0);
      },
    });
    const flushers = { last_used: lastUsed, usage, auth_failures: authFailures };
    new Gauge({
      name: 'latchkey_event_flush_lag_seconds',
      help: 'How long the oldest event waiting for a batched write has waited',
      labelNames: ['writer'],
      registers: [this.registry],
      collect() {
        for (const [writer, flusher] of Object.entries(flushers)) this.set({ writer }, flusher.lagSeconds);
      },
    });
  }

  /** The series of each route, method and status, looked up by label values once (routes and statuses are few). */
  private readonly series = new Map<string, { requests: Counter.Internal; latency: Histogram.Internal<string> }>();

  observe(route: string, method: string, status: number, seconds: number): void {
    const id = `${method} ${status} ${route}`;
    let series = this.series.get(id);
    if (!series) {
      series = {
        requests: this.requests.labels(route, method, String(status)),
        latency: this.latency.labels(route, method, `${Math.floor(status / 100)}xx`),
      };
      this.series.set(id, series);
    }
    series.requests.inc();
    series.latency.observe(seconds);
  }

  rateLimitRejection(budget: 'plan' | 'invalid_key' | 'anonymous'): void {
    this.rateLimited.inc({ budget });
  }

  @OnEvent(AuthFailedEvent.eventName)
  authFailure(event: AuthFailedEvent): void {
    this.authFailures.inc({ reason: event.reason });
  }
}

import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';

/**
 * Collects work in memory and writes it in batches every `intervalMs` and at shutdown, one
 * batch at a time. A batch that fails to write is merged back, so a passing outage loses nothing.
 */
export abstract class PeriodicFlusher<Batch> implements OnModuleInit, OnApplicationShutdown {
  protected readonly logger = new Logger(this.constructor.name);
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  /** When the last flush that had work to write succeeded (for the flush-lag metric). */
  lastWrittenAt = Date.now();
  /** Since when work has been waiting unwritten, or null when nothing waits. */
  pendingSince: number | null = null;

  constructor(private readonly intervalMs: number) {}

  /** Takes what is pending (leaving an empty batch behind), or null when there is nothing. */
  protected abstract take(final: boolean): Batch | null;
  protected abstract write(batch: Batch): Promise<void>;
  /** Puts a batch that could not be written back in front of newer work. */
  protected abstract restore(batch: Batch): void;

  onModuleInit() {
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown() {
    clearInterval(this.timer);
    await this.flush(true);
  }

  /** Subclasses call this when they take in work, so the lag metric knows how long it has waited. */
  protected noteWork(): void {
    this.pendingSince ??= Date.now();
  }

  /** Seconds the oldest unwritten work has waited (0 when nothing waits). */
  get lagSeconds(): number {
    return this.pendingSince === null ? 0 : (Date.now() - this.pendingSince) / 1000;
  }

  flush(final = false): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batch = this.take(final);
      if (batch === null) return;
      try {
        await this.write(batch);
        this.lastWrittenAt = Date.now();
        this.pendingSince = null;
      } catch (err) {
        this.restore(batch);
        this.logger.warn(`Batch not written, kept for the next flush: ${(err as Error).message}`);
      }
    });
    return this.flushing;
  }
}

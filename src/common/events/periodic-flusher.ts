import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';

/**
 * Collects work in memory and writes it in batches every `intervalMs` and at shutdown, one
 * batch at a time. A batch that fails to write is merged back, so a passing outage loses nothing.
 */
export abstract class PeriodicFlusher<Batch> implements OnModuleInit, OnApplicationShutdown {
  protected readonly logger = new Logger(this.constructor.name);
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

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

  flush(final = false): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batch = this.take(final);
      if (batch === null) return;
      try {
        await this.write(batch);
      } catch (err) {
        this.restore(batch);
        this.logger.warn(`Batch not written, kept for the next flush: ${(err as Error).message}`);
      }
    });
    return this.flushing;
  }
}

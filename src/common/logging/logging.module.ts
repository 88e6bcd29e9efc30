import { Module, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import type SonicBoom from 'sonic-boom';
import type { AppConfig } from '../../config/configuration';

/** Anything that could carry a key or a secret is removed before a line is written. */
export const REDACTED_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.query',
  'req.body',
  'key',
  'secret',
  '*.key',
  '*.secret',
];

/** Lines are written once this many bytes wait (about 40 request lines)... */
export const LOG_BATCH_BYTES = 8 * 1024;
/** ...or this often, whichever comes first, so a quiet service's lines are not held back. */
export const LOG_FLUSH_MS = 200;

/**
 * Standard output, written asynchronously in batches: lines are queued and written in one
 * asynchronous write once LOG_BATCH_BYTES wait or every LOG_FLUSH_MS (sonic-boom's minLength and
 * periodicFlush). Each asynchronous write is a round trip through libuv's thread pool (a wake-up of
 * a worker thread and one of the event loop), which cost more than the line itself when a busy
 * service wrote every line or two on its own. pino flushes the queue synchronously at exit (a crash
 * included); a signal ends the process without an exit event, so shutdown flushes it too. Where
 * stdout has been replaced (an embedding process capturing it), lines go to that replacement, as
 * pino itself would do.
 */
type Stdout = pino.DestinationStream & { flushSync(): void; flush(cb?: (err?: Error) => void): void };
let stdout: Stdout | undefined;
function destination(): pino.DestinationStream | undefined {
  if (process.stdout.write !== Object.getPrototypeOf(process.stdout).write) return undefined;
  return (stdout ??= bufferedLines(pino.destination({ dest: 1, sync: false, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_MS, contentMode: 'buffer' })));
}

/**
 * pino writes each line as a string. sonic-boom queues strings by appending them to one string and
 * measures that string's byte length again on every write (reading the whole pending batch, up to
 * LOG_BATCH_BYTES, per line); it queues buffers in a list with their lengths kept. Each line is
 * therefore handed over as the buffer of its UTF-8 bytes: the same bytes are written.
 */
function bufferedLines(boom: SonicBoom): Stdout {
  return {
    write: (line: string) => boom.write(Buffer.from(line) as unknown as string),
    flushSync: () => boom.flushSync(),
    flush: (cb) => boom.flush(cb),
  };
}

/** Writes what is still queued; called at shutdown, after the last request has been logged. */
export function flushLogs(): void {
  stdout?.flushSync();
}

/** Structured JSON logs (pino) for the whole application; request lines come from setupApp. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) => {
        const options = { level: config.get('log', { infer: true }).level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
        const stream = destination();
        return {
          // No per-request middleware (it costs a child logger per request even when nothing is
          // written): setupApp logs each completed request from Fastify's onResponse hook instead.
          forRoutes: [],
          pinoHttp: stream ? [options, stream] : options,
        };
      },
    }),
  ],
})
export class LoggingModule implements OnApplicationShutdown {
  onApplicationShutdown(): void {
    try {
      flushLogs();
    } catch {
      // Standard output already closed: nothing left to write to.
    }
  }
}

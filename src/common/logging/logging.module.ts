import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
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

/** Structured JSON logs (pino), one line per request with its request id. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) => ({
        pinoHttp: {
          level: config.get('log', { infer: true }).level,
          redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
          // Fastify's id (the echoed or generated X-Request-Id), copied onto the raw request by setupApp.
          genReqId: (req) => (req as { id?: string }).id ?? 'unknown',
          customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
          serializers: {
            req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
              id: req.id,
              method: req.method,
              // The path only: a query string may carry what must not be logged.
              url: req.url?.split('?')[0],
              ip: req.remoteAddress,
            }),
          },
        },
      }),
    }),
  ],
})
export class LoggingModule {}

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

/** Structured JSON logs (pino) for the whole application; request lines come from setupApp. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) => ({
        // No per-request middleware (it costs a child logger per request even when nothing is
        // written): setupApp logs each completed request from Fastify's onResponse hook instead.
        forRoutes: [],
        pinoHttp: {
          level: config.get('log', { infer: true }).level,
          redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
        },
      }),
    }),
  ],
})
export class LoggingModule {}

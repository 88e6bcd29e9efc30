import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../../config/configuration';
import { MetricsModule } from '../metrics/metrics.module';
import { HOUR, limitFor, MINUTE } from './rate-limits';
import { RequestLimiter } from './request-limiter';
import { ResilientStorage } from './resilient.storage';

const request = (context: { switchToHttp(): { getRequest(): unknown } }) => context.switchToHttp().getRequest() as FastifyRequest;

@Module({
  providers: [
    {
      provide: ResilientStorage,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) => new ResilientStorage(config.get('redis', { infer: true }).url),
    },
  ],
  exports: [ResilientStorage],
})
class RateLimitStorageModule {}

/** Per-minute and per-hour windows whose limits come from the caller's plan on every request. */
@Module({
  imports: [
    MetricsModule,
    RateLimitStorageModule,
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [ResilientStorage],
      useFactory: (storage: ResilientStorage) => ({
        storage,
        throttlers: [
          { ...MINUTE, limit: (context) => limitFor(request(context).user, 'minute') },
          { ...HOUR, limit: (context) => limitFor(request(context).user, 'hour') },
        ],
      }),
    }),
  ],
  providers: [RequestLimiter],
  exports: [RequestLimiter, RateLimitStorageModule, MetricsModule],
})
export class RateLimitModule {}

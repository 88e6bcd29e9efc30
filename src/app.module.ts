import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ScheduleModule } from '@nestjs/schedule';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { AccountsModule } from './accounts/accounts.module';
import { AuditModule } from './audit/audit.module';
import { CredentialGuard } from './auth/api-key.guard';
import { AuthModule } from './auth/auth.module';
import { ScopeGuard } from './common/auth/scope.guard';
import { RateLimitGuard } from './common/rate-limit/rate-limit.guard';
import { CryptoModule } from './common/crypto/crypto.module';
import { ConsoleModule } from './console/console.module';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { createValidationPipe } from './common/http/validation';
import { LoggingModule } from './common/logging/logging.module';
import { MetricsModule } from './common/metrics/metrics.module';
import { loadConfig } from './config/configuration';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { KeysModule } from './keys/keys.module';
import { PlansModule } from './plans/plans.module';
import { PortalModule } from './portal/portal.module';
import { SecretScanningModule } from './secret-scanning/secret-scanning.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => loadConfig()] }),
    LoggingModule,
    EventEmitterModule.forRoot({ wildcard: false, ignoreErrors: true }),
    ScheduleModule.forRoot(),
    CryptoModule,
    DatabaseModule,
    AuditModule,
    WebhooksModule,
    KeysModule,
    AccountsModule,
    PlansModule,
    PortalModule,
    SecretScanningModule,
    AuthModule,
    HealthModule,
    MetricsModule,
    ConsoleModule,
  ],
  providers: [
    // Order matters: authentication first, so the throttler can key on the account; scopes last,
    // so a 403 for a missing scope is counted and carries the rate-limit headers.
    { provide: APP_GUARD, useExisting: CredentialGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useExisting: ScopeGuard },
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
    { provide: APP_PIPE, useFactory: createValidationPipe },
  ],
})
export class AppModule {}

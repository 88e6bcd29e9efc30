import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuditModule } from '../audit/audit.module';
import { ServerSecrets } from '../common/crypto/server-secrets';
import type { AppConfig } from '../config/configuration';
import { ApiKeyFormat } from './api-key-format';
import { ApiKey } from './api-key.entity';
import { KeyAuthenticator } from './key-authenticator.service';
import { KeyHasher } from './key-hasher';
import { InvalidationBus } from './invalidation-bus';
import { ExpiryNoticesJob } from './expiry-notices.job';
import { KeyCache } from './key-cache';
import { KeyIssuer } from './key-issuer.service';
import { KeysController } from './keys.controller';
import { KeysService } from './keys.service';
import { LastUsedListener } from './last-used.listener';
import { UsageListener } from './usage.listener';
import { UsageService } from './usage.service';
import { VerificationController } from './verification.controller';
import { VerificationService } from './verification.service';

@Module({
  imports: [MikroOrmModule.forFeature([ApiKey]), AuditModule],
  providers: [
    {
      provide: ApiKeyFormat,
      inject: [ConfigService, ServerSecrets],
      useFactory: (config: ConfigService<AppConfig, true>, secrets: ServerSecrets) =>
        new ApiKeyFormat(config.get('keys', { infer: true }).prefix, secrets.checkTagKey),
    },
    KeyHasher,
    KeyIssuer,
    KeyCache,
    KeyAuthenticator,
    InvalidationBus,
    KeysService,
    VerificationService,
    LastUsedListener,
    UsageListener,
    UsageService,
    ExpiryNoticesJob,
  ],
  controllers: [KeysController, VerificationController],
  exports: [KeyIssuer, KeyAuthenticator, InvalidationBus, KeyCache, LastUsedListener, UsageListener, ApiKeyFormat, KeyHasher, KeysService],
})
export class KeysModule {}

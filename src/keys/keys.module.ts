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
import { KeyIssuer } from './key-issuer.service';

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
    KeyAuthenticator,
  ],
  exports: [KeyIssuer, KeyAuthenticator, ApiKeyFormat],
})
export class KeysModule {}

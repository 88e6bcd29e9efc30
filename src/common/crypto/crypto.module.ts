import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../config/configuration';
import { resolveKeySecret, ServerSecrets } from './server-secrets';

@Global()
@Module({
  providers: [
    {
      provide: ServerSecrets,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) =>
        new ServerSecrets(
          resolveKeySecret(config.get('keys', { infer: true }).secret, config.get('database', { infer: true }).dataDir),
        ),
    },
  ],
  exports: [ServerSecrets],
})
export class CryptoModule {}

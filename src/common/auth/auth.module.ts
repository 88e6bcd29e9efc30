import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { KeysModule } from '../../keys/keys.module';
import { ApiKeyGuard } from './api-key.guard';
import { BearerApiKeyStrategy, XApiKeyStrategy } from './api-key.strategies';

@Module({
  imports: [PassportModule.register({ session: false }), KeysModule],
  providers: [XApiKeyStrategy, BearerApiKeyStrategy, ApiKeyGuard],
  exports: [ApiKeyGuard],
})
export class AuthModule {}

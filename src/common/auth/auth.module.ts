import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { KeysModule } from '../../keys/keys.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { CachedReflector } from '../http/cached-reflector';
import { ApiKeyGuard } from './api-key.guard';
import { AuthRefusals } from './auth-refusals';
import { ScopeGuard } from './scope.guard';
import { BearerApiKeyStrategy, XApiKeyStrategy } from './api-key.strategies';

@Module({
  imports: [PassportModule.register({ session: false }), KeysModule, RateLimitModule],
  providers: [CachedReflector, AuthRefusals, XApiKeyStrategy, BearerApiKeyStrategy, ApiKeyGuard, ScopeGuard],
  exports: [CachedReflector, AuthRefusals, ApiKeyGuard, ScopeGuard, RateLimitModule],
})
export class AuthModule {}

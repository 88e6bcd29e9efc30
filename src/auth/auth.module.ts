import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { KeysModule } from '../keys/keys.module';
import { RateLimitModule } from '../common/rate-limit/rate-limit.module';
import { CachedReflector } from '../common/http/cached-reflector';
import { ApiKeyGuard } from './api-key.guard';
import { AuthRefusals } from './auth-refusals';
import { ScopeGuard } from '../common/auth/scope.guard';
import { BearerApiKeyStrategy, XApiKeyStrategy } from './strategies/api-key.strategies';

@Module({
  imports: [PassportModule.register({ session: false }), KeysModule, RateLimitModule],
  providers: [CachedReflector, AuthRefusals, XApiKeyStrategy, BearerApiKeyStrategy, ApiKeyGuard, ScopeGuard],
  exports: [CachedReflector, AuthRefusals, ApiKeyGuard, ScopeGuard, RateLimitModule],
})
export class AuthModule {}

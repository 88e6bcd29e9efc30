import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { KeysModule } from '../keys/keys.module';
import { RateLimitModule } from '../common/rate-limit/rate-limit.module';
import { CachedReflector } from '../common/http/cached-reflector';
import { AUTHENTICATE_OPTIONS, CredentialGuard } from './api-key.guard';
import { AuthRefusals } from './auth-refusals';
import { ScopeGuard } from '../common/auth/scope.guard';
import { BearerApiKeyStrategy, XApiKeyStrategy } from './strategies/api-key.strategies';
import { SessionStrategy } from './strategies/session.strategy';
import { PortalModule } from '../portal/portal.module';

@Module({
  imports: [PassportModule.register(AUTHENTICATE_OPTIONS), KeysModule, PortalModule, RateLimitModule],
  providers: [CachedReflector, AuthRefusals, XApiKeyStrategy, BearerApiKeyStrategy, SessionStrategy, CredentialGuard, ScopeGuard],
  exports: [CachedReflector, AuthRefusals, CredentialGuard, ScopeGuard, RateLimitModule],
})
export class AuthModule {}

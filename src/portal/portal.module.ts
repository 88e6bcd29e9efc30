import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { RateLimitModule } from '../common/rate-limit/rate-limit.module';
import { AdminPortalSessionsController } from './admin-portal-sessions.controller';
import { PortalController } from './portal.controller';
import { PortalHasher } from './portal-secrets';
import { PortalSessionCleanupJob } from './portal-session-cleanup.job';
import { PortalSession } from './portal-session.entity';
import { PortalSessionsService } from './portal-sessions.service';
import { SessionAuthenticator } from './session-authenticator.service';

@Module({
  imports: [MikroOrmModule.forFeature([PortalSession]), AuditModule, RateLimitModule],
  controllers: [PortalController, AdminPortalSessionsController],
  providers: [PortalHasher, PortalSessionsService, SessionAuthenticator, PortalSessionCleanupJob],
  exports: [PortalSessionsService, SessionAuthenticator],
})
export class PortalModule {}

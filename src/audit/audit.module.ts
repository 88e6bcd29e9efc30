import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { AuditAnchor } from './audit-anchor.entity';
import { AuditEvent } from './audit-event.entity';
import { AuditQueryService } from './audit-query.service';
import { AuditVerification } from './audit-verification.entity';
import { AuditVerifier } from './audit-verifier.service';
import { AuditRetentionJob } from './audit-retention.job';
import { AuditController } from './audit.controller';
import { AuthFailureRecorder } from './auth-failure.recorder';
import { AuditService } from './audit.service';

@Module({
  imports: [MikroOrmModule.forFeature([AuditEvent, AuditAnchor, AuditVerification])],
  controllers: [AuditController],
  providers: [AuditService, AuditQueryService, AuditVerifier, AuthFailureRecorder, AuditRetentionJob],
  exports: [AuditService, AuditQueryService, AuthFailureRecorder],
})
export class AuditModule {}

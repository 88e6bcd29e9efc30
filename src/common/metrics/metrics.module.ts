import { Module } from '@nestjs/common';
import { AuditModule } from '../../audit/audit.module';
import { KeysModule } from '../../keys/keys.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

@Module({
  imports: [KeysModule, AuditModule],
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}

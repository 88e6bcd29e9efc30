import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { AuditModule } from '../audit/audit.module';
import { KeysModule } from '../keys/keys.module';
import { Plan } from './plan.entity';
import { AdminPlansController, PlansController } from './plans.controller';
import { PlansService } from './plans.service';

@Module({
  imports: [MikroOrmModule.forFeature([Plan]), AccountsModule, AuditModule, KeysModule],
  controllers: [PlansController, AdminPlansController],
  providers: [PlansService],
})
export class PlansModule {}

import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { KeysModule } from '../keys/keys.module';
import { PortalModule } from '../portal/portal.module';
import { Account } from './account.entity';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';
import { AdminAccountsController } from './admin-accounts.controller';
import { OperatorBootstrapService } from './operator-bootstrap.service';

@Module({
  imports: [MikroOrmModule.forFeature([Account]), KeysModule, AuditModule, PortalModule],
  controllers: [AccountsController, AdminAccountsController],
  providers: [AccountsService, OperatorBootstrapService],
  exports: [AccountsService],
})
export class AccountsModule {}

import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { KeysModule } from '../keys/keys.module';
import { GithubKeys } from './github-keys';
import { LeakedKeysService } from './leaked-keys.service';
import { SecretScanningController } from './secret-scanning.controller';

/** Leak reports from secret scanners (GitHub's partner program): our keys found in public are treated as compromised. */
@Module({
  imports: [KeysModule, AuditModule],
  providers: [GithubKeys, LeakedKeysService],
  controllers: [SecretScanningController],
})
export class SecretScanningModule {}

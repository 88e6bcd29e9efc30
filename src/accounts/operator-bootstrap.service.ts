import { EntityManager } from '@mikro-orm/core';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AuditAction } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import { SYSTEM_ACTOR } from '../common/auth/principal';
import { ADMIN_SCOPE, ALL_CUSTOMER_SCOPES } from '../common/auth/scopes';
import { newId } from '../common/crypto/base62';
import { diffChanges } from '../common/http/diff-changes';
import type { AppConfig } from '../config/configuration';
import { KeyEnvironment } from '../common/auth/environment';
import { KeyIssuer } from '../keys/key-issuer.service';
import { Plan } from '../plans/plan.entity';
import { Account } from './account.entity';
import { AccountDto } from './dto/account.dto';

/**
 * On first start against an empty database: creates the operator account and one operator key,
 * and writes that key, alone, to OPERATOR_KEY_FILE (mode 0600). The key is never logged.
 */
@Injectable()
export class OperatorBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Operator');

  constructor(
    private readonly em: EntityManager,
    private readonly keys: KeyIssuer,
    private readonly audit: AuditService,
    private readonly config: ConfigService<AppConfig, true>,
  ) {}

  async onApplicationBootstrap() {
    const keyFile = this.config.get('operator', { infer: true }).keyFile;
    const created = await this.em.fork().transactional(async (em) => {
      // Instances starting together on one database: the first takes the lock, the others find the account.
      await em.getConnection().execute("select pg_advisory_xact_lock(hashtextextended('latchkey:operator-bootstrap', 0))", [], 'all', em.getTransactionContext());
      if (await em.count(Account, { isOperator: true })) return false;
      const account = em.create(Account, {
        id: newId('acct'),
        name: 'Operator',
        email: 'operator@localhost',
        plan: em.getReference(Plan, 'enterprise'),
        isOperator: true,
      });
      await this.audit.record(em, {
        accountId: account.id,
        action: AuditAction.AccountCreated,
        target: { type: 'account', id: account.id },
        actor: SYSTEM_ACTOR,
        changes: diffChanges({}, AccountDto.from(account)),
      });
      const key = await this.keys.issue(
        em,
        account,
        { name: 'Operator key', environment: KeyEnvironment.Live, scopes: [ALL_CUSTOMER_SCOPES, ADMIN_SCOPE] },
        SYSTEM_ACTOR,
      );
      // Written before commit: if the file cannot be written, the operator account is not created either.
      mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
      rmSync(keyFile, { force: true });
      writeFileSync(keyFile, `${key.key}\n`, { mode: 0o600, flag: 'wx' });
      return true;
    }).catch((err) => {
      rmSync(keyFile, { force: true });
      throw err;
    });
    if (created) this.logger.log(`Created the operator account; its key is in ${keyFile}`);
  }
}

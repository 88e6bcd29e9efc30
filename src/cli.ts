import 'reflect-metadata';
import { EntityManager } from '@mikro-orm/core';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { Account } from './accounts/account.entity';
import { AppModule } from './app.module';
import type { RequestActor } from './common/auth/principal';
import { ADMIN_SCOPE, ALL_CUSTOMER_SCOPES } from './common/auth/scopes';
import { KeyEnvironment } from './common/auth/environment';
import { KeyIssuer } from './keys/key-issuer.service';

const USAGE = 'usage: npm run cli -- operator-key create [--name "Ops laptop"]';
const CLI_ACTOR: RequestActor = { type: 'operator', id: 'operator', ip: null, userAgent: 'latchkey-cli', requestId: null };

/**
 * `npm run cli -- operator-key create`: makes a further operator key (admin and every customer
 * scope) and prints it, once, on standard output. With the embedded database the service must be
 * stopped first (the data directory lock enforces it).
 */
async function main() {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { name: { type: 'string', default: 'Operator key (CLI)' } } });
  if (positionals.join(' ') !== 'operator-key create' || !values.name || values.name.length > 100) throw new Error(USAGE);
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error'] });
  try {
    const em = app.get(EntityManager);
    const issuer = app.get(KeyIssuer);
    const key = await em.fork().transactional(async (tx) => {
      const operator = await tx.findOneOrFail(Account, { isOperator: true });
      return issuer.issue(tx, operator, { name: values.name!, environment: KeyEnvironment.Live, scopes: [ALL_CUSTOMER_SCOPES, ADMIN_SCOPE] }, CLI_ACTOR);
    });
    process.stdout.write(`${key.key}\n`);
    process.stderr.write(`Created operator key ${key.id} (${key.name}). Store it now: it is not shown again.\n`);
  } finally {
    await app.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

import type { PGlite } from '@electric-sql/pglite';
import type { Options } from '@mikro-orm/core';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Migrator } from '@mikro-orm/migrations';
import { defineConfig as definePgliteConfig } from '@mikro-orm/pglite';
import { defineConfig as definePostgresConfig } from '@mikro-orm/postgresql';
import { migrationsList } from '../../migrations';
import { loadConfig } from '../config/configuration';
import { openEmbeddedDatabase } from './embedded-database';
import { requestEntityManager } from './request-context';
import { Account } from '../accounts/account.entity';
import { AuditAnchor } from '../audit/audit-anchor.entity';
import { AuditEvent } from '../audit/audit-event.entity';
import { AuditVerification } from '../audit/audit-verification.entity';
import { ApiKey } from '../keys/api-key.entity';
import { KeyUsage } from '../keys/key-usage.entity';
import { Plan } from '../plans/plan.entity';
import { PortalSession } from '../portal/portal-session.entity';
import { WebhookAttempt } from '../webhooks/webhook-attempt.entity';
import { WebhookDelivery } from '../webhooks/webhook-delivery.entity';
import { WebhookEndpoint } from '../webhooks/webhook-endpoint.entity';
import { WebhookEvent } from '../webhooks/webhook-event.entity';

export const entities = [Plan, Account, ApiKey, KeyUsage, AuditEvent, AuditAnchor, AuditVerification, PortalSession,
  WebhookEndpoint, WebhookEvent, WebhookDelivery, WebhookAttempt];

const shared = {
  entities,
  metadataProvider: ReflectMetadataProvider,
  extensions: [Migrator],
  forceUtcTimezone: true,
  // Schema changes come only from migrations (never schema sync): the list is explicit so
  // the compiled service, the tests and the CLI all run exactly the same files.
  migrations: {
    tableName: 'latchkey_migrations',
    migrationsList,
    path: 'dist/migrations',
    pathTs: 'migrations',
    snapshotName: '.snapshot-latchkey',
    transactional: true,
    allOrNothing: true,
  },
  ensureDatabase: false,
  allowGlobalContext: false,
  // Each request's EntityManager comes from setupApp's hook (forked lazily), not from a middleware.
  context: requestEntityManager,
  debug: false,
};

/** Where the ORM connects: a PostgreSQL server by URL, or an embedded PGlite instance. */
export type DatabaseTarget = { url: string } | { pglite: PGlite };

/** One configuration for the service, the tests and the MikroORM CLI. */
export function createOrmConfig(target: DatabaseTarget): Options {
  if ('url' in target) {
    return definePostgresConfig({
      ...shared,
      clientUrl: target.url,
      pool: { min: 0, max: 10 },
      // A stalled server must turn into a quick 503, never a hanging request.
      driverOptions: { connectionTimeoutMillis: 2_000, query_timeout: 4_000, keepAlive: true },
    }) as Options;
  }
  return definePgliteConfig({ ...shared, dbName: 'postgres', driverOptions: { pglite: target.pglite } }) as Options;
}

/** Entry point for the MikroORM CLI (`npx mikro-orm ...`): the same configuration the service uses. */
export default async function cliConfig() {
  const { database } = loadConfig();
  if (database.url) return createOrmConfig({ url: database.url });
  return createOrmConfig({ pglite: (await openEmbeddedDatabase(database.dataDir)).pglite });
}

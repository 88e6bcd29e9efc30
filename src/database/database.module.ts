import { MikroORM } from '@mikro-orm/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/configuration';
import { openEmbeddedDatabase } from './embedded-database';
import { createOrmConfig, type DatabaseTarget } from './mikro-orm.config';

export const DATABASE_TARGET = Symbol('DATABASE_TARGET');

interface OpenTarget {
  target: DatabaseTarget;
  close?: () => Promise<void>;
}

@Global()
@Module({
  providers: [
    {
      provide: DATABASE_TARGET,
      inject: [ConfigService],
      useFactory: async (config: ConfigService<AppConfig, true>): Promise<OpenTarget> => {
        const db = config.get('database', { infer: true });
        if (db.url) return { target: { url: db.url } };
        const embedded = await openEmbeddedDatabase(db.dataDir);
        return { target: { pglite: embedded.pglite }, close: embedded.close };
      },
    },
  ],
  exports: [DATABASE_TARGET],
})
class DatabaseTargetModule implements OnApplicationShutdown {
  constructor(@Inject(DATABASE_TARGET) private readonly open: OpenTarget) {}

  async onApplicationShutdown() {
    await this.open.close?.();
  }
}

/** Applies pending migrations when the service starts, unless MIGRATE_ON_START=false. */
@Injectable()
class MigrateOnStart implements OnModuleInit {
  private readonly logger = new Logger('Database');

  constructor(
    private readonly orm: MikroORM,
    private readonly config: ConfigService<AppConfig, true>,
  ) {}

  async onModuleInit() {
    if (!this.config.get('database', { infer: true }).migrateOnStart) return;
    const applied = await this.orm.migrator.up();
    if (applied.length) this.logger.log(`Applied ${applied.length} migration(s)`);
  }
}

@Module({
  imports: [
    MikroOrmModule.forRootAsync({
      imports: [DatabaseTargetModule],
      inject: [DATABASE_TARGET],
      // A hint for the module's typing only: services inject the driver-neutral EntityManager from core.
      driver: PostgreSqlDriver,
      useFactory: (open: OpenTarget) => ({ ...createOrmConfig(open.target), registerRequestContext: false }),
    }),
  ],
  providers: [MigrateOnStart],
})
export class DatabaseModule {}

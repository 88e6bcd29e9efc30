import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/core';
import { loadConfig } from '../config/configuration';
import { openEmbeddedDatabase } from './embedded-database';
import { createOrmConfig } from './mikro-orm.config';

/** `npm run migrate`: applies pending migrations to DATABASE_URL, or to the embedded database. */
async function main() {
  const { database } = loadConfig();
  const embedded = database.url ? undefined : await openEmbeddedDatabase(database.dataDir);
  const orm = await MikroORM.init(createOrmConfig(embedded ? { pglite: embedded.pglite } : { url: database.url! }));
  try {
    const applied = await orm.migrator.up();
    process.stdout.write(applied.length ? `Applied: ${applied.map((m) => m.name).join(', ')}\n` : 'Nothing to apply.\n');
  } finally {
    await orm.close();
    await embedded?.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

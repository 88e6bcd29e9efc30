import { PGlite } from '@electric-sql/pglite';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';

export class DataDirectoryLockedError extends Error {}

/**
 * PostgreSQL's memory inside PGlite's WebAssembly memory, which never shrinks and is resident in
 * this process. PGlite's defaults are a server's (128 MB of shared buffers, 100 connections' worth
 * of shared state); one process with a handful of tables needs far less, and the operating
 * system's page cache still holds the data files. Given as start parameters (never written to the
 * data folder's postgresql.conf).
 */
const SETTINGS = {
  shared_buffers: '32MB',
  max_connections: '10',
  wal_buffers: '1MB',
  temp_buffers: '2MB',
};
const START_PARAMS = [...PGlite.defaultStartParams, ...Object.entries(SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`])];

/**
 * Opens the embedded PostgreSQL (PGlite) in `dataDir/pgdata`. PGlite takes no lock of its own,
 * so a second process on the same folder would corrupt it: we hold a lock for as long as it is open.
 */
export async function openEmbeddedDatabase(dataDir: string): Promise<{ pglite: PGlite; close: () => Promise<void> }> {
  const pgdata = join(dataDir, 'pgdata');
  mkdirSync(pgdata, { recursive: true, mode: 0o700 });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(pgdata, { lockfilePath: join(dataDir, 'pgdata.lock'), stale: 15_000, update: 5_000 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new DataDirectoryLockedError(
        `DATA_DIR ${dataDir} is in use by another Latchkey process; stop it or set a different DATA_DIR.`,
      );
    }
    throw err;
  }
  const pglite = await PGlite.create({ dataDir: pgdata, startParams: START_PARAMS });
  return {
    pglite,
    close: async () => {
      await pglite.close();
      await release();
    },
  };
}

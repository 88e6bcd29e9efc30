import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * A database of this test file's own: a fresh PostgreSQL database on the server named by
 * DATABASE_URL (dropped afterwards), or, without DATABASE_URL, the embedded database in a
 * temporary DATA_DIR.
 */
export interface TestDatabase {
  /** The DATABASE_URL the service should use, or undefined for the embedded database. */
  url?: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return { drop: async () => undefined };
  const name = `latchkey_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`drop database if exists "${name}" with (force)`);
      await client.end();
    },
  };
}

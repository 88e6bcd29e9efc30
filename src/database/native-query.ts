import { PGlite } from '@electric-sql/pglite';
import type { EntityManager } from '@mikro-orm/core';
import type { Pool } from 'pg';

/** A statement of the request path: a name (for PostgreSQL's statement cache) and its SQL, parameters as $1, $2. */
export interface Statement {
  name: string;
  text: string;
}

/** `array`: each row as an array of its columns in the statement's order, without an object per row. */
export type RowMode = 'object' | 'array';

export type NativeQuery = <T>(statement: Statement, values: unknown[], rowMode?: RowMode) => Promise<T[]>;

/**
 * Runs one parameterised statement on the ORM's own connection pool, or on the embedded database,
 * past the ORM's query formatting: the parameters travel apart from the SQL, and on PostgreSQL the
 * statement is parsed and planned once per connection (a named prepared statement) instead of on
 * every call. For the lookups a request waits for; outside any transaction, like `execute` without one.
 * Errors are the driver's own (the error filter knows its connection failures). Logged through the
 * ORM's logger like its own queries (seen with `debug`).
 */
export function nativeQuery(em: EntityManager): NativeQuery {
  const logger = em.config.getLogger();
  const run = async <T>(statement: Statement, values: unknown[], rowMode: RowMode): Promise<T[]> => {
    const client = (await em.getConnection().getNativeClient()) as Pool | PGlite;
    // PGlite waits for any open transaction of the ORM's (its own exclusive mode) before it runs this.
    if (client instanceof PGlite) return (await client.query<T>(statement.text, values, { rowMode })).rows;
    const config = { name: statement.name, text: statement.text, values };
    if (rowMode === 'array') return (await client.query({ ...config, rowMode })).rows as T[];
    return (await client.query<T & object>(config)).rows as T[];
  };
  return async <T>(statement: Statement, values: unknown[], rowMode: RowMode = 'object') => {
    const started = Date.now();
    try {
      const rows = await run<T>(statement, values, rowMode);
      logger.logQuery({ query: statement.text, params: values, took: Date.now() - started, results: rows.length, level: 'info' });
      return rows;
    } catch (err) {
      logger.logQuery({ query: statement.text, params: values, took: Date.now() - started, level: 'error' });
      throw err;
    }
  };
}

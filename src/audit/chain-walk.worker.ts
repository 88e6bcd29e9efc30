import type { KeyObject } from 'node:crypto';
import { Client } from 'pg';
import { ServerSecrets } from '../common/crypto/server-secrets';
import { AuditService } from './audit.service';
import { type EventColumn, eventFromRow, type Query, walkChain, type WalkOutcome, type WalkStart } from './chain-walk';

export interface WalkTask {
  start: WalkStart;
  url: string;
  /** The same options as the service's own pool (connect and query timeouts, keep-alive). */
  connection: Record<string, unknown>;
  chainKey: KeyObject;
  columns: EventColumn[];
}

/** A failure of the walk, sent back with its code so the caller can tell a database outage (503) apart. */
export interface WalkFailure {
  failure: { message: string; code?: string };
}

/**
 * A whole-chain walk in a worker thread, on a connection of its own: reading, parsing and hashing
 * 100,000 events then allocates and collects in this thread's heap, not the request loop's.
 */
export default async function walk(task: WalkTask): Promise<WalkOutcome | WalkFailure> {
  const client = new Client({ connectionString: task.url, ...task.connection });
  const audit = new AuditService({ auditChainKey: task.chainKey } as ServerSecrets);
  const query: Query = async (sql, params) => {
    let n = 0;
    return (await client.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows;
  };
  try {
    await client.connect();
    return await walkChain({ query, toEvent: (row) => eventFromRow(row, task.columns), linkHash: (prev, e) => audit.linkHash(prev, e) }, task.start);
  } catch (err) {
    const e = err as { message?: string; code?: string };
    return { failure: { message: String(e?.message ?? err), code: e?.code } };
  } finally {
    await client.end().catch(() => undefined);
  }
}

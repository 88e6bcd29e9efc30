/**
 * `EXPLAIN (ANALYZE, BUFFERS)` of the query GET /v1/audit-events runs, for a case of
 * `bench/audit.ts` that misses its target. The SQL mirrors AuditQueryService.list() and where()
 * (src/audit/audit-query.service.ts) as MikroORM renders it: parameters inlined, one `and` per filter,
 * `order by seq desc limit <limit + 1>`.
 */
import { Client } from 'pg';

export interface ListFilter {
  key_id?: string;
  action?: string;
  actor_id?: string;
  since?: string;
  until?: string;
  /** The seq a cursor stands for (`seq < …`). */
  beforeSeq?: string;
  limit?: number;
}

export function listSql(db: Client, accountId: string, f: ListFilter): string {
  const lit = (v: string) => db.escapeLiteral(v);
  const where = [`"a0"."account_id" = ${lit(accountId)}`];
  if (f.key_id) where.push(`"a0"."target_id" = ${lit(f.key_id)}`);
  if (f.action) where.push(`"a0"."action" = ${lit(f.action)}`);
  if (f.actor_id) where.push(`"a0"."actor_id" = ${lit(f.actor_id)}`);
  if (f.since) where.push(`"a0"."occurred_at" >= ${lit(new Date(f.since).toISOString())}`);
  if (f.until) where.push(`"a0"."occurred_at" < ${lit(new Date(f.until).toISOString())}`);
  if (f.beforeSeq) where.push(`"a0"."seq" < ${lit(f.beforeSeq)}`);
  return `select "a0".* from "audit_events" as "a0" where ${where.join(' and ')} order by "a0"."seq" desc limit ${(f.limit ?? 20) + 1}`;
}

/** The SQL and its plan, as text. */
export async function explainList(databaseUrl: string, accountId: string, f: ListFilter): Promise<string> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const sql = listSql(db, accountId, f);
    const plan = await db.query(`explain (analyze, buffers) ${sql}`);
    return [sql, ...plan.rows.map((r: Record<string, string>) => `  ${r['QUERY PLAN']}`)].join('\n');
  } finally {
    await db.end();
  }
}

import { type EntityProperty, MikroORM } from '@mikro-orm/core';
import { extname, join } from 'node:path';
import { Piscina } from 'piscina';
import type { ServerSecrets } from '../common/crypto/server-secrets';
import type { DatabaseTarget } from '../database/mikro-orm.config';
import { AuditEvent } from './audit-event.entity';
import type { AuditService } from './audit.service';
import { type ChainReader, type EventColumn, walkChain, type WalkOutcome, type WalkStart } from './chain-walk';
import type { WalkFailure, WalkTask } from './chain-walk.worker';

/** Whole-chain walks are the long ones: in the worker they yield to requests at the OS level too. */
const WORKER_NICE = 10;
const WORKER_IDLE_MS = 30_000;

/**
 * Walks chains in this thread (short walks from a verified point, and everything on the embedded
 * database, which lives in this thread anyway) or, on a PostgreSQL server, in a worker thread with
 * its own connection (whole chains: the reading, parsing and hashing of every event, and the
 * garbage they make, stay off the request loop).
 */
export class ChainWalker {
  private pool?: Piscina;
  private columns?: EntityProperty<AuditEvent>[];

  constructor(
    private readonly orm: MikroORM,
    private readonly audit: AuditService,
    private readonly secrets: ServerSecrets,
    private readonly target: DatabaseTarget,
  ) {}

  here(start: WalkStart): Promise<WalkOutcome> {
    const conn = this.orm.em.getConnection();
    const reader: ChainReader = {
      query: (sql, params) => conn.execute(sql, params),
      toEvent: (row) => this.read(row),
      linkHash: (prev, event) => this.audit.linkHash(prev, event),
    };
    return walkChain(reader, start);
  }

  async whole(start: WalkStart): Promise<WalkOutcome> {
    if (!('url' in this.target)) return this.here(start);
    const task: WalkTask = {
      start,
      url: this.target.url,
      connection: this.orm.config.get('driverOptions') as Record<string, unknown>,
      chainKey: this.secrets.auditChainKey,
      columns: this.props().map((p) => ({ property: p.name, field: p.fieldNames[0], kind: kindOf(p) })),
    };
    const result: WalkOutcome | WalkFailure = await this.workers().run(task);
    if ('failure' in result) throw Object.assign(new Error(result.failure.message), { code: result.failure.code });
    return result;
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
  }

  private workers(): Piscina {
    // Built: the compiled worker; from sources (tests, benchmarks): the TypeScript one, compiled on load.
    const source = extname(__filename) === '.ts';
    this.pool ??= new Piscina({
      filename: join(__dirname, `chain-walk.worker${extname(__filename)}`),
      execArgv: source ? ['--require', '@swc-node/register'] : [],
      minThreads: 0,
      maxThreads: 1,
      idleTimeout: WORKER_IDLE_MS,
      niceIncrement: WORKER_NICE,
    });
    return this.pool;
  }

  private props(): EntityProperty<AuditEvent>[] {
    this.columns ??= this.orm.getMetadata().get(AuditEvent).props.filter((p) => p.fieldNames?.length === 1);
    return this.columns;
  }

  /**
   * A raw audit_events row with an AuditEvent's fields, converted as the ORM would (from its
   * metadata, so a new column is read too) but without the unit of work, which costs more than the hash.
   */
  private read(row: Record<string, unknown>): AuditEvent {
    const platform = this.orm.em.getPlatform();
    // A plain object: the entity's prototype carries the ORM's property setters.
    const event: Record<string, unknown> = {};
    for (const prop of this.props()) {
      let value = row[prop.fieldNames[0]] ?? null;
      if (value !== null && prop.customType) value = prop.customType.convertToJSValue(value, platform);
      else if (value !== null && prop.runtimeType === 'Date' && !(value instanceof Date)) value = new Date(value as string);
      event[prop.name] = value;
    }
    return event as unknown as AuditEvent;
  }
}

function kindOf(p: EntityProperty<AuditEvent>): EventColumn['kind'] {
  const column = p.columnTypes?.[0] ?? '';
  if (p.runtimeType === 'Date' || column.startsWith('timestamp')) return 'date';
  if (column.startsWith('json')) return 'json';
  if (column === 'bigint') return 'bigint';
  return 'plain';
}

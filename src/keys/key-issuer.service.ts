import { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import type { Account } from '../accounts/account.entity';
import { AuditAction } from '../audit/audit-action';
import { AuditService, type ChainHead } from '../audit/audit.service';
import type { RequestActor } from '../common/auth/principal';
import { newId } from '../common/crypto/base62';
import { DomainException, notFound } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import { diffChanges } from '../common/http/diff-changes';
import { ApiKeyFormat } from './api-key-format';
import { KeyEnvironment } from '../common/auth/environment';
import { ApiKeyDto, ApiKeyWithSecretDto, type KeyFields } from './dto/api-key.dto';
import { KeyHasher } from './key-hasher';
import { WebhookEvents } from '../webhooks/webhook-events.service';

export interface KeySpec {
  name: string;
  environment: KeyEnvironment;
  scopes: string[];
  active?: boolean;
  expiresAt?: Date | null;
  allowedIps?: string[];
  allowedReferrers?: string[];
  metadata?: Record<string, unknown>;
}

/**
 * One statement writes a key: `head` takes the account chain's lock (every key is created under
 * it) and then reads, on a fresh snapshot, the chain's head, the plan's max_keys and the keys
 * counting against it. The key, its `api_key.created` event and its outbox event are written only
 * if `go` has its row: the head is the one the event was hashed after, and the plan has room
 * (unless the limit is not asked for). Columns left out of the key are null.
 */
const WRITE_KEY = `with head as (select * from latchkey_key_create_head(?, ?)),
go as (select 1 from head where head.seq is not distinct from ?::bigint and (? or head.max_keys is null or head.live_keys < head.max_keys)),
new_key as (insert into api_keys (id, account_id, name, environment, prefix, last4, secret_hash, active, scopes, allowed_ips,
  allowed_referrers, metadata, expires_at, created_at, updated_at)
  select ?, ?, ?, ?, ?, ?, ?, ?, array[?]::text[], array[?]::text[], array[?]::text[], ?::jsonb, ?, ?, ? from go)`;

interface Written {
  seq: string | null;
  max_keys: number | null;
  plan_name: string;
  /** Null on a plan without a limit. */
  live_keys: string | number | null;
  written: boolean;
}

type Outcome = { written: true; dto: ApiKeyWithSecretDto } | { written: false; head?: Written };

/** A key to write: for whom, what, by whom, and whether the plan's limit applies. */
interface KeyWrite {
  accountId: string;
  spec: KeySpec;
  actor: RequestActor;
  withinLimit: boolean;
}

/** The transaction a statement runs in; none for a statement that is its own. */
type Tx = ReturnType<EntityManager['getTransactionContext']>;

/** Mints keys: the secret is generated here, hashed, and leaves only in the returned DTO. */
@Injectable()
export class KeyIssuer {
  constructor(
    private readonly format: ApiKeyFormat,
    private readonly hasher: KeyHasher,
    private readonly audit: AuditService,
    private readonly webhooks: WebhookEvents,
  ) {}

  /**
   * A customer's new key, within the plan's max_keys for its environment. Written in one statement
   * (its own transaction) after the chain's head as last committed; when another change appended to
   * the chain in between, in a transaction holding the chain's lock from the start.
   */
  async create(em: EntityManager, accountId: string, spec: KeySpec, actor: RequestActor): Promise<ApiKeyWithSecretDto> {
    const request: KeyWrite = { accountId, spec, actor, withinLimit: true };
    const first = await this.write(em, undefined, request, await this.audit.peekHead(em, accountId));
    if (first.written) return first.dto;
    this.refuseWhenFull(first, spec.environment);
    const locked = await em.transactional(async (tx) => this.write(tx, tx.getTransactionContext(), request, await this.audit.lockChain(tx, accountId)));
    if (locked.written) return locked.dto;
    this.refuseWhenFull(locked, spec.environment);
    throw new Error(`The key for ${accountId} was not written although its chain was locked`);
  }

  /**
   * A key made by the service itself (an account's first key, the operator's), inside the caller's
   * transaction and without the plan's limit.
   */
  async issue(em: EntityManager, account: Pick<Account, 'id'>, spec: KeySpec, actor: RequestActor): Promise<ApiKeyWithSecretDto> {
    // What the transaction holds but has not written yet (a new account) goes first: the key refers to it.
    await em.flush();
    const head = await this.audit.lockChain(em, account.id);
    const outcome = await this.write(em, em.getTransactionContext(), { accountId: account.id, spec, actor, withinLimit: false }, head);
    if (!outcome.written) throw new Error(`The key for ${account.id} was not written: its account is not in the transaction's view`);
    return outcome.dto;
  }

  private async write(em: EntityManager, tx: Tx, { accountId, spec, actor, withinLimit }: KeyWrite, head: ChainHead): Promise<Outcome> {
    const secret = this.format.generate(spec.environment);
    const now = new Date();
    const key: KeyFields = {
      id: newId('key'),
      name: spec.name,
      environment: spec.environment,
      prefix: secret.displayPrefix,
      last4: secret.last4,
      scopes: spec.scopes,
      active: spec.active ?? true,
      expiresAt: spec.expiresAt ?? null,
      allowedIps: spec.allowedIps ?? [],
      allowedReferrers: spec.allowedReferrers ?? [],
      metadata: spec.metadata ?? {},
      createdAt: now,
      updatedAt: now,
      lastUsedAt: null,
      lastUsedIp: null,
      revokedAt: null,
    };
    const dto = ApiKeyDto.from(key, now);
    const event = this.audit.insert(
      this.audit.next({ accountId, action: AuditAction.KeyCreated, target: { type: 'api_key', id: key.id }, actor, changes: diffChanges({}, dto) }, head),
      'go',
    );
    const outbox = this.webhooks.outboxWrite({ accountId, type: 'api_key.created', environment: key.environment, object: dto }, 'go');
    const params = [accountId, key.environment, head.seq, !withinLimit,
      key.id, accountId, key.name, key.environment, key.prefix, key.last4, this.hasher.hash(secret.key), key.active, key.scopes,
      key.allowedIps, key.allowedReferrers, JSON.stringify(key.metadata), key.expiresAt, now, now,
      ...event.params, ...outbox.params];
    const [row] = await em.getConnection().execute<Written[]>(
      `${WRITE_KEY}, new_event as (${event.sql}), ${outbox.ctes}
      select head.seq, head.max_keys, head.plan_name, head.live_keys, exists (select 1 from go) as written, (${outbox.select}) as notified from head`,
      params,
      'all',
      tx,
    );
    return row?.written ? { written: true, dto: { ...dto, key: secret.key } } : { written: false, head: row };
  }

  /**
   * A statement that wrote nothing: no account, or no room on the plan (the count was read under
   * the lock, so that holds whatever the head). Otherwise the head had moved: the caller tries again.
   */
  private refuseWhenFull(outcome: Exclude<Outcome, { written: true }>, environment: KeyEnvironment): void {
    const head = outcome.head;
    if (!head) throw notFound('Account');
    const max = head.max_keys;
    // Each environment has the plan's max_keys of its own: test keys cannot use up the live ones.
    if (max !== null && Number(head.live_keys) >= max) {
      throw new DomainException(
        ErrorCode.KeyLimitReached,
        `The ${head.plan_name} plan allows ${max} ${environment} API key${max === 1 ? '' : 's'}; revoke or delete one, or upgrade.`,
      );
    }
  }
}

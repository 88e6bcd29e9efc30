import { EntityManager, LockMode } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { AuditAction } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import type { Principal, RequestActor } from '../common/auth/principal';
import { ALL_CUSTOMER_SCOPES } from '../common/auth/scopes';
import { newId } from '../common/crypto/base62';
import { DomainException, notFound } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import { afterCursor, toPage } from '../common/http/cursor';
import { diffChanges } from '../common/http/diff-changes';
import { Paginated } from '../common/http/envelope';
import type { ListQueryDto } from '../common/http/list-query.dto';
import { ApiKey } from '../keys/api-key.entity';
import { KeyEnvironment } from '../common/auth/environment';
import { InvalidationBus } from '../keys/invalidation-bus';
import { KeyIssuer } from '../keys/key-issuer.service';
import { PlanDto } from '../plans/dto/plan.dto';
import { Plan } from '../plans/plan.entity';
import { PortalSessionsService } from '../portal/portal-sessions.service';
import { previousAttributes, WebhookEvents } from '../webhooks/webhook-events.service';
import { Account, AccountStatus } from './account.entity';
import type { CreateAccountDto, UpdateAccountDto } from './dto/account-input.dto';
import { AccountDto, type AccountOverviewDto, type CreatedAccountDto, type MeDto } from './dto/account.dto';

const ACCOUNT_ID = /^acct_[0-9A-Za-z]{22}$/;

@Injectable()
export class AccountsService {
  constructor(
    private readonly em: EntityManager,
    private readonly keys: KeyIssuer,
    private readonly audit: AuditService,
    private readonly bus: InvalidationBus,
    private readonly portalSessions: PortalSessionsService,
    private readonly webhooks: WebhookEvents,
  ) {}

  /** Creates a customer account and its first key (all customer scopes); the secret is returned once. */
  async create(input: CreateAccountDto, actor: RequestActor): Promise<CreatedAccountDto> {
    return this.em.transactional(async (em) => {
      const plan = await this.planFor(em, input.plan ?? 'free');
      const account = em.create(Account, { id: newId('acct'), name: input.name, email: input.email, plan, status: input.status });
      const dto = AccountDto.from(account);
      await this.audit.record(em, {
        accountId: account.id,
        action: AuditAction.AccountCreated,
        target: { type: 'account', id: account.id },
        actor,
        changes: diffChanges({}, dto),
      });
      const apiKey = await this.keys.issue(
        em,
        account,
        { name: 'Default key', environment: KeyEnvironment.Live, scopes: [ALL_CUSTOMER_SCOPES] },
        actor,
      );
      return { account: dto, api_key: apiKey };
    });
  }

  async list(query: ListQueryDto): Promise<Paginated<AccountDto>> {
    const rows = await this.em.find(Account, afterCursor(query.cursor), {
      orderBy: { createdAt: 'desc', id: 'desc' },
      limit: query.limit + 1,
    });
    const page = toPage(rows, query.limit);
    return new Paginated(page.items.map(AccountDto.from), page.nextCursor);
  }

  async get(id: string): Promise<AccountDto> {
    return AccountDto.from(await this.find(this.em, id));
  }

  async update(id: string, input: UpdateAccountDto, actor: RequestActor): Promise<AccountDto> {
    return this.bus.transactional(async (em, changed) => {
      const account = await this.find(em, id, true);
      const before = AccountDto.from(account);
      if (input.plan !== undefined) account.plan = await this.planFor(em, input.plan);
      if (input.status !== undefined) {
        if (account.isOperator && input.status !== before.status) {
          throw new DomainException(ErrorCode.Conflict, 'The operator account cannot be suspended.');
        }
        account.status = input.status;
      }
      if (input.name !== undefined) account.name = input.name;
      if (input.email !== undefined) account.email = input.email;
      const changes = diffChanges(before, AccountDto.from(account));
      if (changes) {
        await this.audit.record(em, {
          accountId: account.id,
          action: AuditAction.AccountUpdated,
          target: { type: 'account', id: account.id },
          actor,
          changes,
        });
        await this.webhooks.enqueue(em, {
          accountId: account.id,
          type: 'account.updated',
          environment: null,
          object: AccountDto.from(account),
          previousAttributes: previousAttributes(changes),
        });
        changed({ account: account.id });
      }
      // A suspension ends the account's console sessions for good; reactivating does not bring them back.
      if (account.status === AccountStatus.Suspended && before.status !== AccountStatus.Suspended) {
        await this.portalSessions.endAll(em, account.id, 'account_suspended', actor);
      }
      return AccountDto.from(account);
    });
  }

  /** Answered from the authenticated principal alone: the hot path makes no query of its own. */
  me(principal: Principal): MeDto {
    const account = { id: principal.accountId, name: principal.accountName, email: principal.accountEmail, plan: principal.planSlug };
    const { session } = principal;
    if (session) {
      return { account, session: { id: session.id, user: session.user, scopes: principal.scopes, expires_at: session.expiresAt.toISOString() } };
    }
    return { account, key: { id: principal.keyId, name: principal.keyName, environment: principal.environment, scopes: principal.scopes } };
  }

  /** `key_count` is for the calling key's environment: each environment has `max_keys` of its own. */
  async overview(principal: Principal): Promise<AccountOverviewDto> {
    const account = await this.find(this.em, principal.accountId);
    const plan = await this.em.findOneOrFail(Plan, { slug: account.plan.slug });
    const counted = { account: account.id, revokedAt: null };
    const live = await this.em.count(ApiKey, { ...counted, environment: KeyEnvironment.Live });
    const test = await this.em.count(ApiKey, { ...counted, environment: KeyEnvironment.Test });
    const { plan: _slug, ...base } = AccountDto.from(account);
    return {
      ...base,
      plan: PlanDto.from(plan),
      key_count: principal.environment === KeyEnvironment.Test ? test : live,
      key_counts: { live, test },
      max_keys: plan.maxKeys,
      rate_limit_per_minute: plan.rateLimitPerMinute,
      rate_limit_per_hour: plan.rateLimitPerHour,
    };
  }

  /** The operator account's id: plan events are recorded in its log. */
  async operatorAccountId(em: EntityManager): Promise<string> {
    const operator = await em.findOneOrFail(Account, { isOperator: true }, { fields: ['id'] });
    return operator.id;
  }

  private async planFor(em: EntityManager, slug: string): Promise<Plan> {
    const plan = await em.findOne(Plan, { slug });
    if (!plan) {
      throw new DomainException(ErrorCode.ValidationFailed, 'The request is not valid.', [
        { field: 'plan', message: `plan "${slug}" does not exist` },
      ]);
    }
    return plan;
  }

  private async find(em: EntityManager, id: string, forUpdate = false): Promise<Account> {
    const account = ACCOUNT_ID.test(id)
      ? await em.findOne(Account, { id }, forUpdate ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {})
      : null;
    if (!account) throw notFound('Account');
    return account;
  }
}

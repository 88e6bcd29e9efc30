import { EntityManager, LockMode } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { AccountsService } from '../accounts/accounts.service';
import { InvalidationBus } from '../keys/invalidation-bus';
import { AuditAction } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import type { RequestActor } from '../common/auth/principal';
import { DomainException, notFound } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import { diffChanges } from '../common/http/diff-changes';
import { Paginated } from '../common/http/envelope';
import { PLAN_SLUG, type CreatePlanDto, type UpdatePlanDto } from './dto/plan-input.dto';
import { PlanDto } from './dto/plan.dto';
import { Plan } from './plan.entity';

@Injectable()
export class PlansService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly accounts: AccountsService,
    private readonly bus: InvalidationBus,
  ) {}

  /** Every plan, oldest first; plans are few, so the list is one page. */
  async list(): Promise<Paginated<PlanDto>> {
    const plans = await this.em.find(Plan, {}, { orderBy: { createdAt: 'asc', slug: 'asc' } });
    return new Paginated(plans.map(PlanDto.from), null);
  }

  async get(slug: string): Promise<PlanDto> {
    return PlanDto.from(await this.find(this.em, slug));
  }

  async create(input: CreatePlanDto, actor: RequestActor): Promise<PlanDto> {
    return this.em.transactional(async (em) => {
      if (await em.findOne(Plan, { slug: input.slug })) {
        throw new DomainException(ErrorCode.Conflict, `A plan with slug "${input.slug}" already exists.`);
      }
      const plan = em.create(Plan, {
        slug: input.slug,
        name: input.name,
        apiAccess: input.api_access,
        maxKeys: input.max_keys,
        rateLimitPerMinute: input.rate_limit_per_minute,
        rateLimitPerHour: input.rate_limit_per_hour,
      });
      const dto = PlanDto.from(plan);
      await this.audit.record(em, {
        accountId: await this.accounts.operatorAccountId(em),
        action: AuditAction.PlanCreated,
        target: { type: 'plan', id: plan.slug },
        actor,
        changes: diffChanges({}, dto),
      });
      return dto;
    });
  }

  async update(slug: string, input: UpdatePlanDto, actor: RequestActor): Promise<PlanDto> {
    return this.bus.transactional(async (em, changed) => {
      const plan = await this.find(em, slug, true);
      const before = PlanDto.from(plan);
      em.assign(plan, {
        name: input.name ?? plan.name,
        apiAccess: input.api_access ?? plan.apiAccess,
        maxKeys: input.max_keys === undefined ? plan.maxKeys : input.max_keys,
        rateLimitPerMinute: input.rate_limit_per_minute ?? plan.rateLimitPerMinute,
        rateLimitPerHour: input.rate_limit_per_hour ?? plan.rateLimitPerHour,
      });
      const changes = diffChanges(before, PlanDto.from(plan));
      if (changes) {
        await this.audit.record(em, {
          accountId: await this.accounts.operatorAccountId(em),
          action: AuditAction.PlanUpdated,
          target: { type: 'plan', id: plan.slug },
          actor,
          changes,
        });
        changed({ all: true });
      }
      return PlanDto.from(plan);
    });
  }

  private async find(em: EntityManager, slug: string, forUpdate = false): Promise<Plan> {
    const plan = PLAN_SLUG.test(slug)
      ? await em.findOne(Plan, { slug }, forUpdate ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {})
      : null;
    if (!plan) throw notFound('Plan');
    return plan;
  }
}

import { Body, Controller, Get, HttpCode, HttpStatus, Param, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, type RequestActor } from '../common/auth/principal';
import { Paginated } from '../common/http/envelope';
import { ApiConflict, ApiEnvelope, ApiKeyAuth } from '../common/openapi/api-docs';
import { CreatePlanDto, UpdatePlanDto } from './dto/plan-input.dto';
import { PlanDto } from './dto/plan.dto';
import { PlansService } from './plans.service';

@ApiTags('Plans')
@Controller('plans')
export class PlansController {
  constructor(private readonly plans: PlansService) {}

  @Get()
  @ApiKeyAuth()
  @ApiOperation({ operationId: 'listPlans', summary: 'The plans and what each includes' })
  @ApiEnvelope(PlanDto, { list: true })
  list(): Promise<Paginated<PlanDto>> {
    return this.plans.list();
  }
}

@ApiTags('Admin')
@ApiKeyAuth('admin')
@Controller('admin/plans')
export class AdminPlansController {
  constructor(private readonly plans: PlansService) {}

  @Get()
  @ApiOperation({ operationId: 'adminListPlans', summary: 'List plans' })
  @ApiEnvelope(PlanDto, { list: true })
  list(): Promise<Paginated<PlanDto>> {
    return this.plans.list();
  }

  @Get(':slug')
  @ApiOperation({ operationId: 'adminGetPlan', summary: 'Get a plan' })
  @ApiEnvelope(PlanDto)
  get(@Param('slug') slug: string): Promise<PlanDto> {
    return this.plans.get(slug);
  }

  @Post()
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ operationId: 'adminCreatePlan', summary: 'Create a plan' })
  @ApiConflict('a plan with this slug exists')
  @ApiEnvelope(PlanDto, { status: HttpStatus.CREATED })
  create(@Body() body: CreatePlanDto, @CurrentActor() actor: RequestActor): Promise<PlanDto> {
    return this.plans.create(body, actor);
  }

  @Patch(':slug')
  @ApiOperation({ operationId: 'adminUpdatePlan', summary: 'Change a plan; takes effect on the next request' })
  @ApiEnvelope(PlanDto)
  update(@Param('slug') slug: string, @Body() body: UpdatePlanDto, @CurrentActor() actor: RequestActor): Promise<PlanDto> {
    return this.plans.update(slug, body, actor);
  }
}

import { ApiProperty } from '@nestjs/swagger';
import type { Plan } from '../plan.entity';

export class PlanDto {
  @ApiProperty({ example: 'pro' }) slug!: string;
  @ApiProperty({ example: 'Pro' }) name!: string;
  @ApiProperty() api_access!: boolean;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null means unlimited' }) max_keys!: number | null;
  @ApiProperty({ type: 'integer' }) rate_limit_per_minute!: number;
  @ApiProperty({ type: 'integer' }) rate_limit_per_hour!: number;

  static from(plan: Plan): PlanDto {
    return {
      slug: plan.slug,
      name: plan.name,
      api_access: plan.apiAccess,
      max_keys: plan.maxKeys,
      rate_limit_per_minute: plan.rateLimitPerMinute,
      rate_limit_per_hour: plan.rateLimitPerHour,
    };
  }
}

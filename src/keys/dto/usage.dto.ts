import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { Optional } from '../../common/http/validation';
import { IsRfc3339 } from '../../common/http/validators';

export class UsageQueryDto {
  @ApiPropertyOptional({ enum: ['hour', 'day'], default: 'hour' })
  @Optional() @IsIn(['hour', 'day'], { message: 'granularity must be hour or day' })
  granularity?: 'hour' | 'day';

  @ApiPropertyOptional({ format: 'date-time', description: 'Default: 24 hours (hour) or 30 days (day) before until' })
  @Optional() @IsRfc3339()
  since?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Default: now' })
  @Optional() @IsRfc3339()
  until?: string;
}

export class UsageBucketDto {
  @ApiProperty({ format: 'date-time' }) start!: string;
  @ApiProperty({ type: 'integer' }) count_2xx!: number;
  @ApiProperty({ type: 'integer' }) count_4xx!: number;
  @ApiProperty({ type: 'integer' }) count_5xx!: number;
}

export class UsageDto {
  @ApiProperty() key_id!: string;
  @ApiProperty({ enum: ['hour', 'day'] }) granularity!: 'hour' | 'day';
  @ApiProperty({ type: [UsageBucketDto], description: 'Every bucket from since to until, oldest first, zeros included' })
  buckets!: UsageBucketDto[];
}

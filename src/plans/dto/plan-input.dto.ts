import { ApiProperty, OmitType, PartialType } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import { HasVisibleText } from '../../common/http/validators';

export const PLAN_SLUG = /^[a-z][a-z0-9-]{1,39}$/;
const nullable = () => ValidateIf((_o, v) => v !== null);

export class CreatePlanDto {
  @ApiProperty({ example: 'team', pattern: PLAN_SLUG.source })
  @IsString() @Matches(PLAN_SLUG, { message: 'slug must be 2-40 lowercase letters, digits or dashes, starting with a letter' })
  slug!: string;

  @ApiProperty({ example: 'Team', minLength: 1, maxLength: 100 })
  @IsString() @MinLength(1) @MaxLength(100) @HasVisibleText()
  name!: string;

  @ApiProperty()
  @IsBoolean()
  api_access!: boolean;

  @ApiProperty({ type: 'integer', nullable: true, minimum: 0, maximum: 1000000, description: 'null means unlimited' })
  @nullable() @IsInt() @Min(0) @Max(1_000_000)
  max_keys!: number | null;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 1000000 })
  @IsInt() @Min(1) @Max(1_000_000)
  rate_limit_per_minute!: number;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100000000 })
  @IsInt() @Min(1) @Max(100_000_000)
  rate_limit_per_hour!: number;
}

/** Every field optional; an explicit null is still refused where the column is NOT NULL. */
export class UpdatePlanDto extends PartialType(OmitType(CreatePlanDto, ['slug'] as const), { skipNullProperties: false }) {}

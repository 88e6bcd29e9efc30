import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { IsEmail, IsIn, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { Optional } from '../../common/http/validation';
import { HasVisibleText } from '../../common/http/validators';
import { PLAN_SLUG } from '../../plans/dto/plan-input.dto';
import { AccountStatus } from '../account.entity';

export class CreateAccountDto {
  @ApiProperty({ example: 'Acme Inc.', minLength: 1, maxLength: 100 })
  @IsString() @MinLength(1) @MaxLength(100) @HasVisibleText()
  name!: string;

  @ApiProperty({ example: 'ops@acme.test', maxLength: 254 })
  @IsString() @MaxLength(254) @IsEmail({}, { message: 'email must be an email address' })
  email!: string;

  @ApiPropertyOptional({ example: 'pro', default: 'free', description: 'Plan slug' })
  @Optional() @IsString() @Matches(PLAN_SLUG, { message: 'plan must be a plan slug' })
  plan?: string;

  @ApiPropertyOptional({ enum: AccountStatus, enumName: 'AccountStatus', default: AccountStatus.Active })
  @Optional() @IsIn(Object.values(AccountStatus))
  status?: AccountStatus;
}

export class UpdateAccountDto extends PartialType(OmitType(CreateAccountDto, ['plan', 'status'] as const), { skipNullProperties: false }) {
  // Redeclared without the create defaults: a PATCH that leaves them out changes nothing.
  @ApiPropertyOptional({ example: 'pro', description: 'Plan slug' })
  @Optional() @IsString() @Matches(PLAN_SLUG, { message: 'plan must be a plan slug' })
  plan?: string;

  @ApiPropertyOptional({ enum: AccountStatus, enumName: 'AccountStatus' })
  @Optional() @IsIn(Object.values(AccountStatus))
  status?: AccountStatus;
}

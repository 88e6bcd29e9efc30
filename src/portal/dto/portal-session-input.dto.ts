import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, IsArray, IsEmail, IsIn, IsInt, IsObject, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateNested,
} from 'class-validator';
import { GRANTABLE_SCOPES } from '../../common/auth/scopes';
import { Optional } from '../../common/http/validation';
import { HasVisibleText } from '../../common/http/validators';

/**
 * Printable text: no control characters (C0, DEL, C1), line separators or bidi overrides, so an id or
 * name can never break a log line or a CSV row, nor show itself reordered in the console or audit log.
 */
const PRINTABLE = /^[^\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]+$/u;

export class PortalUserInputDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'user_8812', description: "Your own id for the person; the audit log shows it." })
  @IsString() @MinLength(1) @MaxLength(100) @HasVisibleText() @Matches(PRINTABLE, { message: 'id must not contain control characters' })
  id!: string;

  @ApiPropertyOptional({ maxLength: 254, example: 'jane@acme.test' })
  @Optional() @IsString() @MaxLength(254) @IsEmail({}, { message: 'email must be an e-mail address' }) @Matches(PRINTABLE, { message: 'email must not contain control characters' })
  email?: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 100, example: 'Jane Doe' })
  @Optional() @IsString() @MinLength(1) @MaxLength(100) @HasVisibleText() @Matches(PRINTABLE, { message: 'name must not contain control characters' })
  name?: string;
}

export class CreatePortalSessionDto {
  @ApiProperty({ type: PortalUserInputDto })
  @IsObject({ message: 'user must be an object' }) @ValidateNested() @Type(() => PortalUserInputDto)
  user!: PortalUserInputDto;

  @ApiPropertyOptional({
    type: [String],
    enum: GRANTABLE_SCOPES,
    default: ['*'],
    description: "What the person may do in the console. Never empty, never wider than the caller's; `admin` only for the operator's own account.",
  })
  @Optional() @IsArray() @ArrayMinSize(1, { message: 'scopes must not be empty: a session needs at least one scope' }) @ArrayMaxSize(20)
  @IsIn(GRANTABLE_SCOPES, { each: true, message: `each scope must be one of ${GRANTABLE_SCOPES.join(', ')}` })
  scopes?: string[];

  @ApiPropertyOptional({ maxLength: 2048, example: 'https://app.acme.test/settings', description: 'Where the console sends the person back: https, or http on localhost / 127.0.0.1.' })
  @Optional() @IsString() @MaxLength(2048)
  return_url?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 300, maximum: 86400, default: 3600, description: "The session's absolute lifetime, counted from this call." })
  @Optional() @IsInt() @Min(300) @Max(86_400)
  ttl_seconds?: number;
}

export class RedeemPortalCodeDto {
  @ApiProperty({ example: 'pst_…', description: "The code from the sign-in link's fragment (`#code=`)." })
  @IsString() @MaxLength(200)
  code!: string;
}

import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import {
  ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsISO8601, IsString, Max, MaxLength, Min, MinLength,
  ValidateIf, registerDecorator, type ValidationArguments,
} from 'class-validator';
import { GRANTABLE_SCOPES } from '../../common/auth/scopes';
import { ListQueryDto } from '../../common/http/list-query.dto';
import { Optional } from '../../common/http/validation';
import { KeyEnvironment } from '../../common/auth/environment';
import { isValidIpRule, isValidReferrerPattern } from '../key-restrictions';
import { KeyStatus } from './api-key.dto';

const METADATA_MAX_BYTES = 4096;

/** A plain JSON object of at most 4 KiB serialised and 50 top-level keys. */
function IsSmallJsonObject() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isSmallJsonObject',
      target: target.constructor,
      propertyName,
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.keys(value).length <= 50 &&
          Buffer.byteLength(JSON.stringify(value)) <= METADATA_MAX_BYTES,
        defaultMessage: (a?: ValidationArguments) =>
          `${a?.property} must be a JSON object with at most 50 keys and ${METADATA_MAX_BYTES} bytes`,
      },
    });
}

/** Every element is a string accepted by `test`. */
function EachString(test: (value: string) => boolean, message: string) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'eachString',
      target: target.constructor,
      propertyName,
      options: { message },
      validator: { validate: (value: unknown) => Array.isArray(value) && value.every((v) => typeof v === 'string' && test(v)) },
    });
}

export class CreateApiKeyDto {
  @ApiProperty({ example: 'Production API Key', minLength: 1, maxLength: 100 })
  @IsString() @MinLength(1) @MaxLength(100)
  name!: string;

  @ApiPropertyOptional({ enum: KeyEnvironment, enumName: 'KeyEnvironment', description: "Defaults to live (for a test key, to test)." })
  @Optional() @IsIn(Object.values(KeyEnvironment), { message: 'environment must be live or test' })
  environment?: KeyEnvironment;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, description: 'Must be in the future; null clears it.' })
  @Optional() @ValidateIf((_o, v) => v !== null) @IsISO8601({ strict: true, strictSeparator: true }, { message: 'expires_at must be an ISO 8601 date-time' })
  expires_at?: string | null;

  @ApiPropertyOptional({ default: true })
  @Optional() @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({
    type: [String],
    enum: GRANTABLE_SCOPES,
    description: "Defaults to the creating key's scopes. Never empty, never wider than the creating key's.",
  })
  @Optional() @IsArray() @ArrayMaxSize(20) @IsIn(GRANTABLE_SCOPES, { each: true, message: `each scope must be one of ${GRANTABLE_SCOPES.join(', ')}` })
  scopes?: string[];

  @ApiPropertyOptional({ type: [String], example: ['203.0.113.0/24', '2001:db8::/32'], description: 'IPv4/IPv6 addresses or CIDR ranges; empty allows any.' })
  @Optional() @IsArray() @ArrayMaxSize(100)
  @EachString(isValidIpRule, 'each entry of allowed_ips must be an IPv4/IPv6 address or CIDR range')
  allowed_ips?: string[];

  @ApiPropertyOptional({ type: [String], example: ['https://*.example.com'], description: 'Origin patterns; `*.` matches one or more leading labels.' })
  @Optional() @IsArray() @ArrayMaxSize(50)
  @EachString(isValidReferrerPattern, 'each entry of allowed_referrers must look like https://app.example.com or https://*.example.com')
  allowed_referrers?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Your own data, at most 4 KiB.' })
  @Optional() @IsSmallJsonObject()
  metadata?: Record<string, unknown>;
}

export class UpdateApiKeyDto extends PartialType(OmitType(CreateApiKeyDto, ['environment', 'active'] as const), {
  skipNullProperties: false,
}) {}

export class RegenerateApiKeyDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 86400, default: 0, description: 'How long the old secret keeps working.' })
  @Optional() @IsInt() @Min(0) @Max(86_400)
  grace_period_seconds?: number;
}

export class ListApiKeysQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ enum: KeyEnvironment, enumName: 'KeyEnvironment' })
  @Optional() @IsIn(Object.values(KeyEnvironment), { message: 'environment must be live or test' })
  environment?: KeyEnvironment;

  @ApiPropertyOptional({ enum: KeyStatus, enumName: 'KeyStatus' })
  @Optional() @IsIn(Object.values(KeyStatus), { message: 'status must be active, inactive, revoked or expired' })
  status?: KeyStatus;
}


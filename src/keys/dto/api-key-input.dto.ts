import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsString, Max, MaxLength, Min, MinLength,
  ValidateIf, registerDecorator, type ValidationArguments,
} from 'class-validator';
import { GRANTABLE_SCOPES } from '../../common/auth/scopes';
import { ListQueryDto } from '../../common/http/list-query.dto';
import { Optional } from '../../common/http/validation';
import { HasVisibleText, IsRfc3339 } from '../../common/http/validators';
import { KeyEnvironment } from '../../common/auth/environment';
import { isValidIpRule, isValidReferrerPattern, normalizeIpRule, normalizeReferrerPattern } from '../key-restrictions';
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

/** Stores each entry in its normal form, so it is shown and compared as it matches; entries it refuses are left for validation to report. */
const NormalizeEach = (normalize: (value: string) => string | null) =>
  Transform(({ value }) => (Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? (normalize(v) ?? v) : v)) : value));

export class CreateApiKeyDto {
  @ApiProperty({ example: 'Production API Key', minLength: 1, maxLength: 100 })
  @IsString() @MinLength(1) @MaxLength(100) @HasVisibleText()
  name!: string;

  @ApiPropertyOptional({ enum: KeyEnvironment, enumName: 'KeyEnvironment', description: "Defaults to live (for a test key, to test)." })
  @Optional() @IsIn(Object.values(KeyEnvironment), { message: 'environment must be live or test' })
  environment?: KeyEnvironment;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, description: 'Must be in the future; null clears it.' })
  @Optional() @ValidateIf((_o, v) => v !== null) @IsRfc3339()
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

  @ApiPropertyOptional({
    type: [String],
    example: ['203.0.113.0/24', '2001:db8::/32'],
    description: 'IPv4/IPv6 addresses or CIDR ranges (no zone ids), stored normalised (`::ffff:10.0.0.0/104` as `10.0.0.0/8`); empty allows any.',
  })
  @Optional() @IsArray() @ArrayMaxSize(100) @NormalizeEach(normalizeIpRule)
  @EachString(isValidIpRule, 'each entry of allowed_ips must be an IPv4 address in dotted-quad form or an IPv6 address (no zone id), optionally with a /prefix length')
  allowed_ips?: string[];

  @ApiPropertyOptional({
    type: [String],
    example: ['https://*.example.com'],
    description: 'Origin patterns; `*.` matches one or more leading labels, never over a public suffix (`*.co.uk`). Stored without a default port.',
  })
  @Optional() @IsArray() @ArrayMaxSize(50) @NormalizeEach(normalizeReferrerPattern)
  @EachString(
    isValidReferrerPattern,
    'each entry of allowed_referrers must look like https://app.example.com or https://*.example.com (a port from 1 to 65535; no wildcard over a public suffix such as *.com or *.co.uk)',
  )
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


import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { Optional } from '../../common/http/validation';
import { IsIpAddress } from '../../common/http/validators';
import { ErrorCode } from '../../common/errors/error-code';
import { KeyEnvironment } from '../../common/auth/environment';

export class VerifyKeyDto {
  @ApiProperty({ description: 'The key to check, as the client sent it.', maxLength: 200 })
  @IsString() @MaxLength(200)
  key!: string;

  @ApiPropertyOptional({
    description: "The client's IP, checked against the key's allowed_ips (required when it has any): a dotted-quad IPv4 or an IPv6 address, without a zone id.",
    example: '203.0.113.7',
  })
  @Optional() @IsString() @MaxLength(64) @IsIpAddress()
  ip?: string;

  @ApiPropertyOptional({ description: "The client's Origin (or Referer), checked against the key's allowed_referrers." })
  @Optional() @IsString() @MaxLength(2048)
  origin?: string;
}

export class VerifyKeyResultDto {
  @ApiProperty() valid!: boolean;
  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode', nullable: true, description: 'Why the key is refused; null when valid.' })
  code!: ErrorCode | null;
  @ApiProperty({ type: String, nullable: true }) account_id!: string | null;
  @ApiProperty({ type: String, nullable: true }) key_id!: string | null;
  @ApiProperty({ enum: KeyEnvironment, enumName: 'KeyEnvironment', nullable: true }) environment!: KeyEnvironment | null;
  @ApiProperty({ type: [String] }) scopes!: string[];
}

export class AuthCheckDto {
  @ApiProperty() account_id!: string;
  @ApiProperty() key_id!: string;
  @ApiProperty({ enum: KeyEnvironment, enumName: 'KeyEnvironment' }) environment!: KeyEnvironment;
  @ApiProperty({ type: [String] }) scopes!: string[];
}

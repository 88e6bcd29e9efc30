import { ApiProperty } from '@nestjs/swagger';
import { type ApiKey } from '../api-key.entity';
import { KeyEnvironment } from '../../common/auth/environment';

export enum KeyStatus {
  Active = 'active',
  Inactive = 'inactive',
  Revoked = 'revoked',
  Expired = 'expired',
}

export function keyStatus(key: Pick<ApiKey, 'revokedAt' | 'expiresAt' | 'active'>, now = new Date()): KeyStatus {
  if (key.revokedAt) return KeyStatus.Revoked;
  if (key.expiresAt && key.expiresAt <= now) return KeyStatus.Expired;
  return key.active ? KeyStatus.Active : KeyStatus.Inactive;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** What the key object is made of: a stored key, or one just written. */
export type KeyFields = Pick<
  ApiKey,
  'id' | 'name' | 'prefix' | 'last4' | 'environment' | 'scopes' | 'allowedIps' | 'allowedReferrers' | 'metadata' | 'active'
  | 'createdAt' | 'updatedAt' | 'expiresAt' | 'lastUsedAt' | 'lastUsedIp' | 'revokedAt'
>;

/** The key object of the contract: never the secret, never its hash. */
export class ApiKeyDto {
  @ApiProperty({ example: 'key_4MvT0aHq2cN8yXbW1pLz9d' }) id!: string;
  @ApiProperty({ example: 'Production API Key' }) name!: string;
  @ApiProperty({ example: 'lk_live_' }) prefix!: string;
  @ApiProperty({ example: 'x9Qa' }) last4!: string;
  @ApiProperty({ enum: KeyEnvironment, enumName: 'KeyEnvironment' }) environment!: KeyEnvironment;
  @ApiProperty({ enum: KeyStatus, enumName: 'KeyStatus' }) status!: KeyStatus;
  @ApiProperty({ type: [String], example: ['keys:read', 'keys:write'] }) scopes!: string[];
  @ApiProperty({ type: [String], example: ['203.0.113.0/24'] }) allowed_ips!: string[];
  @ApiProperty({ type: [String], example: ['https://*.example.com'] }) allowed_referrers!: string[];
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) expires_at!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) last_used_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) last_used_ip!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) revoked_at!: string | null;

  static from(key: KeyFields, now = new Date()): ApiKeyDto {
    return {
      id: key.id,
      name: key.name,
      prefix: key.prefix,
      last4: key.last4,
      environment: key.environment,
      status: keyStatus(key, now),
      scopes: [...key.scopes],
      allowed_ips: [...key.allowedIps],
      allowed_referrers: [...key.allowedReferrers],
      metadata: key.metadata,
      created_at: key.createdAt.toISOString(),
      updated_at: key.updatedAt.toISOString(),
      expires_at: iso(key.expiresAt),
      last_used_at: iso(key.lastUsedAt),
      last_used_ip: key.lastUsedIp,
      revoked_at: iso(key.revokedAt),
    };
  }
}

/** Returned once, by create and regenerate: the key object plus the secret itself. */
export class ApiKeyWithSecretDto extends ApiKeyDto {
  @ApiProperty({ description: 'The full API key. Shown once; store it now.', example: 'lk_live_…' })
  key!: string;
}

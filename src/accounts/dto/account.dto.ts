import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { ApiKeyWithSecretDto } from '../../keys/dto/api-key.dto';
import { KeyEnvironment } from '../../common/auth/environment';
import { PlanDto } from '../../plans/dto/plan.dto';
import { PortalUserDto } from '../../portal/dto/portal-session.dto';
import { type Account, AccountStatus } from '../account.entity';

export class AccountDto {
  @ApiProperty({ example: 'acct_1xYz2AbC3dEf4GhI5jKl6m' }) id!: string;
  @ApiProperty({ example: 'Acme Inc.' }) name!: string;
  @ApiProperty({ example: 'ops@acme.test' }) email!: string;
  @ApiProperty({ example: 'pro', description: 'The plan slug' }) plan!: string;
  @ApiProperty({ enum: AccountStatus, enumName: 'AccountStatus' }) status!: AccountStatus;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;

  static from(account: Account): AccountDto {
    return {
      id: account.id,
      name: account.name,
      email: account.email,
      plan: account.plan.slug,
      status: account.status,
      created_at: account.createdAt.toISOString(),
      updated_at: account.updatedAt.toISOString(),
    };
  }
}

export class CreatedAccountDto {
  @ApiProperty({ type: AccountDto }) account!: AccountDto;
  @ApiProperty({ type: ApiKeyWithSecretDto, description: "The account's first key; `key` is shown once." })
  api_key!: ApiKeyWithSecretDto;
}

export class KeyCountsDto {
  @ApiProperty({ type: 'integer' }) live!: number;
  @ApiProperty({ type: 'integer' }) test!: number;
}

/** `GET /v1/account`: the account with its plan and how much of it is used. */
export class AccountOverviewDto extends OmitType(AccountDto, ['plan'] as const) {
  @ApiProperty({ type: PlanDto }) plan!: PlanDto;
  @ApiProperty({
    type: 'integer',
    description: "Keys of the calling key's environment that count toward max_keys (neither revoked nor deleted); each environment has max_keys of its own",
  })
  key_count!: number;
  @ApiProperty({ type: KeyCountsDto, description: 'The same count for each environment' })
  key_counts!: KeyCountsDto;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null means unlimited' }) max_keys!: number | null;
  @ApiProperty({ type: 'integer' }) rate_limit_per_minute!: number;
  @ApiProperty({ type: 'integer' }) rate_limit_per_hour!: number;
}

class MeAccountDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ example: 'pro' }) plan!: string;
}

class MeKeyDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: KeyEnvironment, enumName: 'KeyEnvironment' }) environment!: KeyEnvironment;
  @ApiProperty({ type: [String] }) scopes!: string[];
}

class MeSessionDto {
  @ApiProperty({ example: 'ps_2bX9kQ2xLm4Nc8Vt0aZp3r' }) id!: string;
  @ApiProperty({ type: PortalUserDto }) user!: PortalUserDto;
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
}

/** `key` for a request made with an API key; `session` instead for one made with a console session. */
export class MeDto {
  @ApiProperty({ type: MeAccountDto }) account!: MeAccountDto;
  @ApiPropertyOptional({ type: MeKeyDto, description: 'The calling key (absent for a console session)' }) key?: MeKeyDto;
  @ApiPropertyOptional({ type: MeSessionDto, description: 'The console session (absent for an API key)' }) session?: MeSessionDto;
}

export class StatusDto {
  @ApiProperty({ example: 'operational' }) service!: string;
  @ApiProperty({ format: 'date-time' }) server_time!: string;
  @ApiProperty({ type: MeKeyDto }) key!: MeKeyDto;
  @ApiProperty({ example: 'acct_1xYz2AbC3dEf4GhI5jKl6m' }) account_id!: string;
  @ApiProperty({ example: 'pro' }) plan!: string;
}

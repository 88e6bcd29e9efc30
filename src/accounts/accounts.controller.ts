import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '../common/auth/principal';
import { ApiEnvelope, ApiKeyAuth } from '../common/openapi/api-docs';
import { AccountsService } from './accounts.service';
import { AccountOverviewDto, MeDto, StatusDto } from './dto/account.dto';

@ApiTags('Account')
@Controller()
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Get('me')
  @ApiKeyAuth()
  @ApiOperation({ operationId: 'getMe', summary: 'The calling key and its account' })
  @ApiEnvelope(MeDto)
  me(@CurrentPrincipal() principal: Principal): MeDto {
    return this.accounts.me(principal);
  }

  @Get('status')
  @ApiKeyAuth(undefined, { keysOnly: true })
  @ApiOperation({ operationId: 'getStatus', summary: 'Service status as seen by this key' })
  @ApiEnvelope(StatusDto)
  status(@CurrentPrincipal() principal: Principal): StatusDto {
    return {
      service: 'operational',
      server_time: new Date().toISOString(),
      key: { id: principal.keyId, name: principal.keyName, environment: principal.environment, scopes: principal.scopes },
      account_id: principal.accountId,
      plan: principal.planSlug,
    };
  }

  @Get('account')
  @ApiKeyAuth('account:read')
  @ApiOperation({ operationId: 'getAccount', summary: 'The account with its plan, limits and key count' })
  @ApiEnvelope(AccountOverviewDto)
  account(@CurrentPrincipal() principal: Principal): Promise<AccountOverviewDto> {
    return this.accounts.overview(principal);
  }
}

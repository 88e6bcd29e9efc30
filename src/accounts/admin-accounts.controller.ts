import { Body, Controller, Get, HttpCode, HttpStatus, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, type RequestActor } from '../common/auth/principal';
import { Paginated } from '../common/http/envelope';
import { ListQueryDto } from '../common/http/list-query.dto';
import { ApiEnvelope, ApiKeyAuth } from '../common/openapi/api-docs';
import { AccountsService } from './accounts.service';
import { CreateAccountDto, UpdateAccountDto } from './dto/account-input.dto';
import { AccountDto, CreatedAccountDto } from './dto/account.dto';

@ApiTags('Admin')
@ApiKeyAuth('admin')
@Controller('admin/accounts')
export class AdminAccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ operationId: 'adminCreateAccount', summary: 'Create an account and its first key (shown once)' })
  @ApiEnvelope(CreatedAccountDto, { status: HttpStatus.CREATED })
  create(@Body() body: CreateAccountDto, @CurrentActor() actor: RequestActor): Promise<CreatedAccountDto> {
    return this.accounts.create(body, actor);
  }

  @Get()
  @ApiOperation({ operationId: 'adminListAccounts', summary: 'List accounts, newest first' })
  @ApiEnvelope(AccountDto, { list: true })
  list(@Query() query: ListQueryDto): Promise<Paginated<AccountDto>> {
    return this.accounts.list(query);
  }

  @Get(':id')
  @ApiOperation({ operationId: 'adminGetAccount', summary: 'Get an account' })
  @ApiEnvelope(AccountDto)
  get(@Param('id') id: string): Promise<AccountDto> {
    return this.accounts.get(id);
  }

  @Patch(':id')
  @ApiOperation({ operationId: 'adminUpdateAccount', summary: 'Change plan, status, name or email' })
  @ApiEnvelope(AccountDto)
  update(@Param('id') id: string, @Body() body: UpdateAccountDto, @CurrentActor() actor: RequestActor): Promise<AccountDto> {
    return this.accounts.update(id, body, actor);
  }
}

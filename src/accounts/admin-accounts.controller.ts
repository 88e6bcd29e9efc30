import { Body, Controller, Get, HttpCode, HttpStatus, Param, Patch, Post, Query, StreamableFile } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuditQueryService } from '../audit/audit-query.service';
import { exportFile, VERIFY_DESCRIPTION } from '../audit/audit.controller';
import { AuditEventDto, AuditExportQueryDto, AuditListQueryDto, AuditVerifyDto, AuditVerifyQueryDto } from '../audit/dto/audit-event.dto';
import { CurrentActor, type RequestActor } from '../common/auth/principal';
import { Paginated } from '../common/http/envelope';
import { ListQueryDto } from '../common/http/list-query.dto';
import { ApiConflict, ApiEnvelope, ApiKeyAuth } from '../common/openapi/api-docs';
import { AccountsService } from './accounts.service';
import { CreateAccountDto, UpdateAccountDto } from './dto/account-input.dto';
import { AccountDto, CreatedAccountDto } from './dto/account.dto';

@ApiTags('Admin')
@ApiKeyAuth('admin')
@Controller('admin/accounts')
export class AdminAccountsController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly audit: AuditQueryService,
  ) {}

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

  @Get(':id/audit-events')
  @ApiOperation({ operationId: 'adminListAuditEvents', summary: "An account's audit events, newest first" })
  @ApiEnvelope(AuditEventDto, { list: true })
  async auditEvents(@Param('id') id: string, @Query() query: AuditListQueryDto): Promise<Paginated<AuditEventDto>> {
    return this.audit.list((await this.accounts.get(id)).id, query);
  }

  @Get(':id/audit-events/export')
  @ApiOperation({ operationId: 'adminExportAuditEvents', summary: "An account's events, oldest first, streamed as NDJSON or CSV" })
  @ApiProduces('application/x-ndjson', 'text/csv')
  @ApiResponse({ status: 200, description: 'One event per line (NDJSON) or row (CSV)', schema: { type: 'string' } })
  async exportAuditEvents(@Param('id') id: string, @Query() query: AuditExportQueryDto): Promise<StreamableFile> {
    const format = query.format ?? 'ndjson';
    return exportFile(await this.audit.export((await this.accounts.get(id)).id, query, format), format, `audit-events-${id}`);
  }

  @Get(':id/audit-events/verify')
  @ApiOperation({ operationId: 'adminVerifyAuditChain', summary: "Checks an account's hash chain", description: VERIFY_DESCRIPTION })
  @ApiEnvelope(AuditVerifyDto)
  async verifyAuditChain(@Param('id') id: string, @Query() query: AuditVerifyQueryDto): Promise<AuditVerifyDto> {
    return this.audit.verify((await this.accounts.get(id)).id, query.full === 'true');
  }

  @Patch(':id')
  @ApiOperation({ operationId: 'adminUpdateAccount', summary: 'Change plan, status, name or email' })
  @ApiConflict('the operator account cannot be suspended')
  @ApiEnvelope(AccountDto)
  update(@Param('id') id: string, @Body() body: UpdateAccountDto, @CurrentActor() actor: RequestActor): Promise<AccountDto> {
    return this.accounts.update(id, body, actor);
  }
}

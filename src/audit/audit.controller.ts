import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '../common/auth/principal';
import { DomainException } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import { Paginated } from '../common/http/envelope';
import { ApiEnvelope, ApiKeyAuth } from '../common/openapi/api-docs';
import { KeyEnvironment } from '../common/auth/environment';
import { AuditQueryService } from './audit-query.service';
import { AuditEventDto, AuditExportQueryDto, AuditListQueryDto, AuditVerifyDto, AuditVerifyQueryDto } from './dto/audit-event.dto';

/** The audit log covers the whole account, live keys included: test keys may not read it. */
function liveOnly(principal: Principal): string {
  if (principal.environment === KeyEnvironment.Test) {
    throw new DomainException(ErrorCode.EnvironmentMismatch, 'The audit log covers live keys; read it with a live key.');
  }
  return principal.accountId;
}

export const VERIFY_DESCRIPTION =
  'By default only the events added since the chain was last found intact are hashed, after a check that every ' +
  'earlier event is still there and unchanged since (a changed or missing one makes it re-hash the whole chain). ' +
  '`full=true` re-hashes the whole chain. One check per account runs at a time: concurrent calls share its answer.';

export function exportFile(stream: NodeJS.ReadableStream, format: 'ndjson' | 'csv', name: string): StreamableFile {
  return new StreamableFile(stream as import('node:stream').Readable, {
    type: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
    disposition: `attachment; filename="${name}.${format}"`,
  });
}

@ApiTags('Audit')
@ApiKeyAuth('audit:read')
@Controller('audit-events')
export class AuditController {
  constructor(private readonly audit: AuditQueryService) {}

  @Get()
  @ApiOperation({ operationId: 'listAuditEvents', summary: "The account's audit events, newest first" })
  @ApiEnvelope(AuditEventDto, { list: true })
  list(@CurrentPrincipal() principal: Principal, @Query() query: AuditListQueryDto): Promise<Paginated<AuditEventDto>> {
    return this.audit.list(liveOnly(principal), query);
  }

  @Get('export')
  @ApiOperation({ operationId: 'exportAuditEvents', summary: 'The matching events, oldest first, streamed as NDJSON or CSV' })
  @ApiProduces('application/x-ndjson', 'text/csv')
  @ApiResponse({ status: 200, description: 'One event per line (NDJSON) or row (CSV)', schema: { type: 'string' } })
  async export(@CurrentPrincipal() principal: Principal, @Query() query: AuditExportQueryDto): Promise<StreamableFile> {
    const format = query.format ?? 'ndjson';
    return exportFile(await this.audit.export(liveOnly(principal), query, format), format, 'audit-events');
  }

  @Get('verify')
  @ApiOperation({
    operationId: 'verifyAuditChain',
    summary: "Checks the account's hash chain; reports the first broken link",
    description: VERIFY_DESCRIPTION,
  })
  @ApiEnvelope(AuditVerifyDto)
  verify(@CurrentPrincipal() principal: Principal, @Query() query: AuditVerifyQueryDto): Promise<AuditVerifyDto> {
    return this.audit.verify(liveOnly(principal), query.full === 'true');
  }
}

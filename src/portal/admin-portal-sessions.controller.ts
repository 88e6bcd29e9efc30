import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, CurrentPrincipal, type Principal, type RequestActor } from '../common/auth/principal';
import type { ActionMessage, Paginated } from '../common/http/envelope';
import { ListQueryDto } from '../common/http/list-query.dto';
import { ApiConflict, ApiEnvelope, ApiKeyAuth, ApiMessage } from '../common/openapi/api-docs';
import { CreatePortalSessionDto } from './dto/portal-session-input.dto';
import { CreatedPortalSessionDto, PortalSessionDto } from './dto/portal-session.dto';
import { PortalSessionsService } from './portal-sessions.service';

/** The operator's side: sign-in links for a person of an account, the account's live sessions, ending one. */
@ApiTags('Admin')
@ApiKeyAuth('admin')
@Controller('admin')
export class AdminPortalSessionsController {
  constructor(private readonly sessions: PortalSessionsService) {}

  @Post('accounts/:id/portal-sessions')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    operationId: 'adminCreatePortalSession',
    summary: "A one-time sign-in link to the account's console, for one person",
    description: 'Send the person to `url`: its code works once, for 10 minutes. The session lasts `ttl_seconds` from now.',
  })
  @ApiConflict('the account is suspended')
  @ApiEnvelope(CreatedPortalSessionDto, { status: HttpStatus.CREATED })
  create(
    @Param('id') id: string,
    @Body() body: CreatePortalSessionDto,
    @CurrentPrincipal() caller: Principal,
    @CurrentActor() actor: RequestActor,
  ): Promise<CreatedPortalSessionDto> {
    return this.sessions.create(id, body, caller, actor);
  }

  @Get('accounts/:id/portal-sessions')
  @ApiOperation({ operationId: 'adminListPortalSessions', summary: "The account's live portal sessions, newest first" })
  @ApiEnvelope(PortalSessionDto, { list: true })
  list(@Param('id') id: string, @Query() query: ListQueryDto): Promise<Paginated<PortalSessionDto>> {
    return this.sessions.list(id, query);
  }

  @Delete('portal-sessions/:id')
  @ApiOperation({ operationId: 'adminEndPortalSession', summary: 'End a portal session: its next request is refused' })
  @ApiMessage('Portal session ended.')
  end(@Param('id') id: string, @CurrentActor() actor: RequestActor): Promise<ActionMessage> {
    return this.sessions.end(id, 'ended_by_operator', actor);
  }
}

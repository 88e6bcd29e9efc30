import { Body, Controller, Get, HttpCode, HttpStatus, Post, Req, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentActor, CurrentPrincipal, type Principal, type RequestActor } from '../common/auth/principal';
import { Public } from '../common/auth/public.decorator';
import { DomainException } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import type { ActionMessage } from '../common/http/envelope';
import { canonicalIp } from '../common/http/ip-ranges';
import { ApiCommonErrors, ApiEnvelope, ApiMessage, ApiRedeemErrors, ApiSessionAuth } from '../common/openapi/api-docs';
import type { AppConfig } from '../config/configuration';
import { fromOtherSite } from './csrf';
import { RedeemPortalCodeDto } from './dto/portal-session-input.dto';
import { PortalSessionDto, RedeemedPortalSessionDto } from './dto/portal-session.dto';
import { PortalSessionsService } from './portal-sessions.service';
import { clearSessionCookie, setSessionCookie } from './session-cookie';

/** The console's own side of a session: sign in with a link's code, see the session, sign out. */
@ApiTags('Console')
@Controller('portal')
export class PortalController {
  private readonly portal: AppConfig['portal'];

  constructor(
    private readonly sessions: PortalSessionsService,
    config: ConfigService<AppConfig, true>,
  ) {
    this.portal = config.get('portal', { infer: true });
  }

  @Post('redeem')
  @Public()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    operationId: 'redeemPortalCode',
    summary: 'Sign in with the one-time code of a sign-in link; sets the lk_session cookie',
    description: 'No key. A browser request from another site is refused (403 CSRF_REJECTED), so no site can sign a visitor in to its own session.',
  })
  @ApiCommonErrors()
  @ApiRedeemErrors()
  @ApiEnvelope(RedeemedPortalSessionDto, { headers: { 'Set-Cookie': { description: 'lk_session=…; HttpOnly; SameSite=Strict; Path=/ (and Secure under https)' } } })
  async redeem(@Body() body: RedeemPortalCodeDto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<RedeemedPortalSessionDto> {
    // Checked before the code is looked at, so a cross-site attempt does not use it up.
    if (fromOtherSite(request.headers, this.portal.origin)) throw new DomainException(ErrorCode.CsrfRejected);
    const userAgent = request.headers['user-agent'];
    const { session, token, expiresAt } = await this.sessions.redeem(body.code, {
      ip: canonicalIp(request.ip),
      userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null,
      requestId: String(request.id),
    });
    setSessionCookie(reply, this.portal, token, expiresAt);
    return session;
  }

  @Get('session')
  @ApiSessionAuth()
  @ApiOperation({ operationId: 'getPortalSession', summary: 'The console session this cookie belongs to' })
  @ApiEnvelope(PortalSessionDto)
  session(@CurrentPrincipal() principal: Principal): Promise<PortalSessionDto> {
    return this.sessions.get(principal.session!.id);
  }

  @Post('logout')
  @HttpCode(HttpStatus.OK)
  @ApiSessionAuth()
  @ApiOperation({ operationId: 'logoutPortalSession', summary: 'Sign out: ends the session and clears its cookie' })
  @ApiMessage('Signed out.')
  async logout(@CurrentPrincipal() principal: Principal, @CurrentActor() actor: RequestActor, @Res({ passthrough: true }) reply: FastifyReply): Promise<ActionMessage> {
    clearSessionCookie(reply, this.portal);
    return this.sessions.end(principal.session!.id, 'logout', actor);
  }
}

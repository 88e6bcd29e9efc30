import { Body, Controller, Get, HttpCode, HttpStatus, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, type Principal } from '../common/auth/principal';
import { ApiEnvelope, ApiKeyAuth } from '../common/openapi/api-docs';
import { AuthCheckDto, VerifyKeyDto, VerifyKeyResultDto } from './dto/verify-key.dto';
import { VerificationService } from './verification.service';

@ApiTags('Verification')
@Controller()
export class VerificationController {
  constructor(private readonly verification: VerificationService) {}

  @Post('keys/verify')
  @HttpCode(HttpStatus.OK)
  @ApiKeyAuth('keys:verify', { keysOnly: true })
  @ApiOperation({ operationId: 'verifyApiKey', summary: 'Check a key for another service or gateway (always 200; see `valid`)' })
  @ApiEnvelope(VerifyKeyResultDto)
  verify(@CurrentPrincipal() caller: Principal, @Body() body: VerifyKeyDto): Promise<VerifyKeyResultDto> {
    return this.verification.verify(caller, body);
  }

  @Get('auth/check')
  @ApiKeyAuth(undefined, { keysOnly: true })
  @ApiOperation({
    operationId: 'authCheck',
    summary: 'Forward-auth for nginx auth_request / Traefik ForwardAuth: 200 with identity headers, or 401/403/429',
  })
  @ApiEnvelope(AuthCheckDto, {
    headers: {
      'X-Account-Id': { description: "The key's account" },
      'X-Key-Id': { description: 'The key' },
      'X-Key-Scopes': { description: "The key's scopes, comma-separated" },
      'X-Key-Environment': { description: 'live or test' },
    },
  })
  check(@CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply): AuthCheckDto {
    void reply.headers({
      'X-Account-Id': principal.accountId,
      'X-Key-Id': principal.keyId,
      'X-Key-Scopes': principal.scopes.join(','),
      'X-Key-Environment': principal.environment,
    });
    return { account_id: principal.accountId, key_id: principal.keyId, environment: principal.environment, scopes: principal.scopes };
  }
}

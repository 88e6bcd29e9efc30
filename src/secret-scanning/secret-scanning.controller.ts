import { Controller, Header, HttpCode, HttpStatus, NotFoundException, Post, Req } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiBody, ApiExtraModels, ApiHeader, ApiOperation, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../common/auth/public.decorator';
import { DomainException } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import { ErrorBodyDto } from '../common/openapi/api-docs';
import { GithubTokenLabelDto, GithubTokenReportDto, MAX_REPORT_ENTRIES, parseGithubReport } from './dto/github-report.dto';
import { GithubKeys } from './github-keys';
import { LeakedKeysService } from './leaked-keys.service';
import type { RawBodyRouteConfig } from './raw-body';

/** GitHub's reports may be far larger than the API's 64 KiB bodies. */
export const REPORT_BODY_LIMIT = 1024 * 1024;

const error = (status: number, description: string) => ApiResponse({ status, description, type: ErrorBodyDto });
const header = (request: FastifyRequest, name: string) => {
  const value = request.headers[name];
  return typeof value === 'string' ? value.trim() : '';
};

/** GitHub's secret scanning partner endpoint: reports of our keys found in public. */
@ApiTags('Secret scanning')
@Controller('secret-scanning')
export class SecretScanningController {
  constructor(
    private readonly githubKeys: GithubKeys,
    private readonly leaks: LeakedKeysService,
  ) {}

  @Post('github')
  @Public()
  @HttpCode(HttpStatus.OK)
  @RouteConfig({ rawBody: { bodyLimit: REPORT_BODY_LIMIT } } satisfies RawBodyRouteConfig)
  // GitHub's protocol answers a bare array, not the API's envelope (a string body skips it).
  @Header('Content-Type', 'application/json; charset=utf-8')
  @ApiOperation({
    operationId: 'reportLeakedTokens',
    summary: "GitHub secret scanning partner endpoint: tokens found in public, signed by GitHub",
    description:
      'No key: the body is signed by GitHub (ECDSA P-256 SHA-256 over the raw bytes, base64 DER). Each token that is one of this ' +
      "deployment's keys is treated as compromised (LEAKED_KEY_ACTION) before the answer is sent. 404 unless SECRET_SCANNING_KEYS_FILE is set.",
  })
  @ApiHeader({ name: 'Github-Public-Key-Identifier', required: true, description: 'Which of GitHub\'s published keys signed the body' })
  @ApiHeader({ name: 'Github-Public-Key-Signature', required: true, description: 'Base64 DER ECDSA signature of the raw body' })
  @ApiBody({ type: [GithubTokenReportDto], description: `At most ${MAX_REPORT_ENTRIES} tokens, 1 MiB` })
  @ApiExtraModels(GithubTokenLabelDto)
  @ApiResponse({
    status: HttpStatus.OK,
    description: "One label per token, in the report's order (GitHub's format: a bare array, no envelope)",
    schema: { type: 'array', items: { $ref: getSchemaPath(GithubTokenLabelDto) } },
  })
  @ApiExtraModels(ErrorBodyDto)
  @error(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED: a signed body that is not JSON, not a report, or over 1,000 tokens')
  @error(HttpStatus.UNAUTHORIZED, 'UNAUTHORIZED: a missing or bad signature, or a key identifier not in SECRET_SCANNING_KEYS_FILE')
  @error(HttpStatus.NOT_FOUND, 'NOT_FOUND: SECRET_SCANNING_KEYS_FILE is not set')
  @error(HttpStatus.PAYLOAD_TOO_LARGE, 'PAYLOAD_TOO_LARGE: a body over 1 MiB')
  @error(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'UNSUPPORTED_MEDIA_TYPE: a body that is not JSON')
  @error(HttpStatus.TOO_MANY_REQUESTS, 'RATE_LIMITED, with Retry-After (per client IP)')
  @error(HttpStatus.SERVICE_UNAVAILABLE, 'SERVICE_UNAVAILABLE: a dependency is down; GitHub retries')
  async github(@Req() request: FastifyRequest): Promise<string> {
    if (!this.githubKeys.enabled) throw new NotFoundException();
    const signed = await this.githubKeys.verify(
      header(request, 'github-public-key-identifier'),
      header(request, 'github-public-key-signature'),
      request.rawBody ?? Buffer.alloc(0),
    );
    if (!signed) throw new DomainException(ErrorCode.Unauthorized, 'The report is not signed by a known GitHub secret scanning key.');
    return JSON.stringify(await this.leaks.handle(parseGithubReport(request.rawBody ?? Buffer.alloc(0))));
  }
}

import { applyDecorators, HttpStatus, type Type } from '@nestjs/common';
import {
  ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, ApiSecurity, getSchemaPath,
} from '@nestjs/swagger';
import { ErrorCode } from '../errors/error-code';
import { KeyOnly, SessionOnly } from '../auth/credentials.decorator';
import { RequireScope, type Scope } from '../auth/scopes';

export const API_KEY_SCHEME = 'ApiKeyHeader';
export const BEARER_SCHEME = 'BearerApiKey';
export const SESSION_SCHEME = 'ConsoleSession';

class FieldProblemDto {
  @ApiProperty({ example: 'name' }) field!: string;
  @ApiProperty({ example: 'name must be shorter than or equal to 100 characters' }) message!: string;
}

export class ErrorBodyDto {
  @ApiProperty({ enum: [false] }) success!: false;
  @ApiProperty({ example: 'API key is invalid' }) error!: string;
  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode' }) code!: ErrorCode;
  @ApiProperty({ example: 'req_3fJ9kQ2x' }) request_id!: string;
  @ApiPropertyOptional({ type: [FieldProblemDto] }) details?: FieldProblemDto[];
}

export class MessageBodyDto {
  @ApiProperty({ enum: [true] }) success!: true;
  @ApiProperty({ example: 'API key revoked successfully' }) message!: string;
}

const error = (status: number, description: string) =>
  ApiResponse({ status, description, type: ErrorBodyDto });

/** Errors any route can answer with. */
export const ApiCommonErrors = () =>
  applyDecorators(
    ApiExtraModels(ErrorBodyDto, FieldProblemDto),
    error(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED'),
    error(HttpStatus.PAYLOAD_TOO_LARGE, 'PAYLOAD_TOO_LARGE: a JSON body over 64 KiB'),
    error(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'UNSUPPORTED_MEDIA_TYPE: a body that is not JSON'),
    error(HttpStatus.INTERNAL_SERVER_ERROR, 'INTERNAL_ERROR: only the request id is given; details are logged'),
    error(HttpStatus.TOO_MANY_REQUESTS, 'RATE_LIMITED, with Retry-After'),
    error(HttpStatus.SERVICE_UNAVAILABLE, 'SERVICE_UNAVAILABLE: a dependency is down'),
  );

/**
 * A protected route: the key schemes and the console session cookie (unless `keysOnly`: routes for
 * services and gateways), the scope it needs, and the 401/403 answers, so generated SDKs know them.
 */
export const ApiKeyAuth = (scope?: Scope, options: { keysOnly?: boolean } = {}) =>
  applyDecorators(
    ...(scope ? [RequireScope(scope)] : []),
    ...(options.keysOnly ? [KeyOnly()] : []),
    ApiSecurity(API_KEY_SCHEME),
    ApiSecurity(BEARER_SCHEME),
    ...(options.keysOnly ? [] : [ApiSecurity(SESSION_SCHEME)]),
    ApiCommonErrors(),
    error(
      HttpStatus.UNAUTHORIZED,
      `UNAUTHORIZED, API_KEY_REVOKED, API_KEY_EXPIRED or API_KEY_INACTIVE; with WWW-Authenticate${options.keysOnly ? '' : '. An ended console session: UNAUTHORIZED'}`,
    ),
    error(
      HttpStatus.FORBIDDEN,
      `FORBIDDEN, ACCOUNT_SUSPENDED, INSUFFICIENT_SCOPE, IP_NOT_ALLOWED, REFERRER_NOT_ALLOWED, ENVIRONMENT_MISMATCH or KEY_LIMIT_REACHED${options.keysOnly ? '' : '; CSRF_REJECTED for a console session changing something from another origin'}${scope ? `; needs scope \`${scope}\`` : ''}`,
    ),
  );

/** A route about the console session itself: the session cookie only. */
export const ApiSessionAuth = () =>
  applyDecorators(
    SessionOnly(),
    ApiSecurity(SESSION_SCHEME),
    ApiCommonErrors(),
    error(HttpStatus.UNAUTHORIZED, 'UNAUTHORIZED: no console session, or it has ended ("Your session has ended. Sign in again.")'),
    error(HttpStatus.FORBIDDEN, 'CSRF_REJECTED: a change sent from another origin than the console\'s'),
  );

/** The sign-in's own answers. */
export const ApiRedeemErrors = () =>
  applyDecorators(
    error(HttpStatus.UNAUTHORIZED, 'UNAUTHORIZED: "This sign-in link is invalid or has expired." (unknown, expired and used codes alike)'),
    error(HttpStatus.FORBIDDEN, 'CSRF_REJECTED: a browser request sent from another site'),
  );

/**
 * The success envelope `{success: true, data}` around `model` (a list adds `next_cursor`);
 * `headers` declares response headers (e.g. the identity headers of /v1/auth/check).
 */
export const ApiEnvelope = (
  model: Type,
  options: { status?: number; list?: boolean; description?: string; headers?: Record<string, { description: string }> } = {},
) => {
  const data = options.list ? { type: 'array', items: { $ref: getSchemaPath(model) } } : { $ref: getSchemaPath(model) };
  const properties: Record<string, object> = { success: { type: 'boolean', enum: [true] }, data };
  if (options.list) properties.next_cursor = { type: 'string', nullable: true };
  return applyDecorators(
    ApiExtraModels(model),
    ApiResponse({
      status: options.status ?? HttpStatus.OK,
      description: options.description ?? 'Success',
      schema: { type: 'object', required: Object.keys(properties), properties },
      ...(options.headers
        ? { headers: Object.fromEntries(Object.entries(options.headers).map(([name, h]) => [name, { ...h, schema: { type: 'string' } }])) }
        : {}),
    }),
  );
};

/** A 409 `CONFLICT` (a revoked key changed, a slug taken, the operator suspended). */
export const ApiConflict = (when: string) => error(HttpStatus.CONFLICT, `CONFLICT: ${when}`);

export const ApiMessage = (description: string) =>
  ApiResponse({ status: HttpStatus.OK, description, type: MessageBodyDto });

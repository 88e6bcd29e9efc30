import { HttpException, HttpStatus, Logger } from '@nestjs/common';
import { redactKeys } from '../http/key-shape';
import { DomainException, type FieldProblem } from './domain.exception';
import { DEFAULT_MESSAGE, ERROR_STATUS, ErrorCode } from './error-code';

export interface ErrorBody {
  success: false;
  error: string;
  code: ErrorCode;
  request_id: string;
  details?: FieldProblem[];
}

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

const logger = new Logger('Errors');

const BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: ErrorCode.ValidationFailed,
  401: ErrorCode.Unauthorized,
  403: ErrorCode.Forbidden,
  404: ErrorCode.NotFound,
  409: ErrorCode.Conflict,
  413: ErrorCode.PayloadTooLarge,
  415: ErrorCode.UnsupportedMediaType,
  422: ErrorCode.ValidationFailed,
  429: ErrorCode.RateLimited,
  503: ErrorCode.ServiceUnavailable,
};

/** Sentences for the framework's own client errors, which otherwise leak parser internals. */
const FRAMEWORK_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'The request body is not valid JSON.',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The request body is empty; send a JSON object or no Content-Type.',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The Content-Length header does not match the body.',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: DEFAULT_MESSAGE[ErrorCode.UnsupportedMediaType],
  FST_ERR_CTP_BODY_TOO_LARGE: DEFAULT_MESSAGE[ErrorCode.PayloadTooLarge],
  FST_ERR_BAD_URL: 'The request URL is not valid.',
  FST_ERR_MAX_PARAM_LENGTH: 'The request URL is too long.',
};

/** Failures of a dependency (the database) that must close the door, not open it. */
function isUnavailable(err: unknown): boolean {
  const e = err as { name?: string; code?: string; message?: string };
  return (
    e?.name === 'ConnectionException' ||
    // Connection refused/reset/lost, server shutting down or starting, too many clients, statement timeout.
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08006', '08001', '08003', '53300', '57014'].includes(e?.code ?? '') ||
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|PGlite is closed/i.test(
      e?.message ?? '',
    )
  );
}

/** Maps anything thrown while serving a request to the contract's error body. */
export function toErrorResponse(err: unknown, requestId: string): ErrorResponse {
  let code: ErrorCode;
  let message: string;
  let details: FieldProblem[] | undefined;
  let headers: Record<string, string> = {};

  if (err instanceof DomainException) {
    ({ code, message, details } = err);
    headers = { ...err.headers };
  } else if (err instanceof HttpException) {
    code = BY_STATUS[err.getStatus()] ?? (err.getStatus() >= 500 ? ErrorCode.InternalError : ErrorCode.ValidationFailed);
    const frameworkCode = (err.cause as { code?: string } | undefined)?.code ?? '';
    message =
      FRAMEWORK_MESSAGES[frameworkCode] ??
      (err.getStatus() === HttpStatus.NOT_FOUND ? 'No such endpoint.' : DEFAULT_MESSAGE[code]);
  } else if (isUnavailable(err)) {
    code = ErrorCode.ServiceUnavailable;
    message = DEFAULT_MESSAGE[code];
    headers = { 'Retry-After': '5' };
    // Messages and stacks can quote a URL or a query parameter: nothing key-shaped is logged.
    logger.warn(`Dependency unavailable [${requestId}]: ${redactKeys(String((err as Error).message))}`);
  } else {
    const e = err as { statusCode?: number; code?: string };
    const status = typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
    code = BY_STATUS[status] ?? (status === 500 ? ErrorCode.InternalError : ErrorCode.ValidationFailed);
    message = FRAMEWORK_MESSAGES[e?.code ?? ''] ?? DEFAULT_MESSAGE[code];
    if (status === 500) logger.error(`Unhandled error [${requestId}]`, redactKeys((err as Error)?.stack ?? String(err)));
  }

  const status = ERROR_STATUS[code];
  if (status === HttpStatus.UNAUTHORIZED) headers['WWW-Authenticate'] = 'ApiKey header="X-API-Key", Bearer';
  const body: ErrorBody = { success: false, error: message, code, request_id: requestId };
  if (details?.length) body.details = details;
  return { status, body, headers };
}

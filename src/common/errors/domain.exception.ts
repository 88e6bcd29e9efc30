import { DEFAULT_MESSAGE, ErrorCode } from './error-code';

export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * What services throw: a contract code, a sentence for the client, optional field details and
 * headers. It carries no stack trace: it is an answer, not a fault (nothing logs it), and capturing
 * a stack costs more than the rest of a refused request (a flood of made-up keys is all refusals).
 */
export class DomainException extends Error {
  readonly code: ErrorCode;
  readonly details?: FieldProblem[];
  readonly headers?: Record<string, string>;

  constructor(code: ErrorCode, message: string = DEFAULT_MESSAGE[code], details?: FieldProblem[], headers?: Record<string, string>) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
}

export const notFound = (what = 'Resource') => new DomainException(ErrorCode.NotFound, `${what} not found.`);

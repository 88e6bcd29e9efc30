import { DEFAULT_MESSAGE, ErrorCode } from './error-code';

export interface FieldProblem {
  field: string;
  message: string;
}

/** What services throw: a contract code, a sentence for the client, optional field details and headers. */
export class DomainException extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = DEFAULT_MESSAGE[code],
    readonly details?: FieldProblem[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const notFound = (what = 'Resource') => new DomainException(ErrorCode.NotFound, `${what} not found.`);

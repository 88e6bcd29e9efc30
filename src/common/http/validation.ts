import { type ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidateIf } from 'class-validator';
import { DomainException, type FieldProblem } from '../errors/domain.exception';
import { ErrorCode } from '../errors/error-code';

function flatten(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** Unknown fields are refused, and unacceptable input too; every problem is reported per field. */
class ContractValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata) {
    const problem = metadata.type === 'custom' ? null : unacceptableInput(value);
    if (problem) {
      throw new DomainException(ErrorCode.ValidationFailed, 'The request is not valid.', [
        { field: metadata.data ?? metadata.type, message: problem },
      ]);
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new ContractValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const details = flatten(errors).map((d) =>
        d.message.startsWith('property ') && d.message.endsWith(' should not exist')
          ? { field: d.field, message: `${d.field} is not a known field` }
          : d,
      );
      return new DomainException(ErrorCode.ValidationFailed, 'The request is not valid.', details);
    },
  });
}

/**
 * Marks a body field optional: it may be left out, but an explicit `null` is still validated
 * (class-validator's IsOptional would let null through to a NOT NULL column).
 */
export const Optional = () => ValidateIf((_object, value) => value !== undefined);

/** Deeper input than any endpoint takes; refused before it reaches recursive validators. */
export const MAX_INPUT_DEPTH = 32;

/**
 * What no endpoint accepts anywhere in its input: nesting deeper than MAX_INPUT_DEPTH, NUL
 * characters (PostgreSQL text cannot hold them) and lone surrogates (not valid Unicode; jsonb and
 * the e-mail validator reject them). Walks iteratively, so hostile nesting cannot overflow the stack.
 */
export function unacceptableInput(value: unknown): string | null {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (typeof node === 'string') {
      if (node.includes('\u0000')) return 'text must not contain NUL characters';
      if (!node.isWellFormed()) return 'text must be valid Unicode (no lone surrogates)';
    } else if (node !== null && typeof node === 'object') {
      if (depth >= MAX_INPUT_DEPTH) return `input must not be nested more than ${MAX_INPUT_DEPTH} levels deep`;
      for (const [k, v] of Object.entries(node)) stack.push([k, depth + 1], [v, depth + 1]);
    }
  }
  return null;
}

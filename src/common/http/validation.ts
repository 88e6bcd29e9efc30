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

/** Unknown fields are refused, NUL characters too, and every problem is reported per field. */
class ContractValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata) {
    if (metadata.type !== 'custom' && containsNul(value)) {
      throw new DomainException(ErrorCode.ValidationFailed, 'The request is not valid.', [
        { field: metadata.data ?? metadata.type, message: 'text must not contain NUL characters' },
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

/** True when a string anywhere in `value` holds a NUL character, which PostgreSQL text cannot store. */
export function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 32 || value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([k, v]) => k.includes('\u0000') || containsNul(v, depth + 1));
}

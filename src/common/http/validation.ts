import { ValidationError, ValidationPipe } from '@nestjs/common';
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

/** Unknown fields are refused, types converted, and every problem reported per field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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

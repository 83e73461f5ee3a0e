import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { HttpProblem, type IntercomErrorItem } from './intercom-error';

/**
 * class-validator with Intercom's error shape: unknown body fields are refused by name (never
 * silently dropped) and every problem names its field, nested ones with a dotted path.
 */
export function intercomValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors) => new HttpProblem(400, flatten(errors)),
  });
}

function flatten(errors: readonly ValidationError[], parent = ''): IntercomErrorItem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) =>
      constraint === 'whitelistValidation'
        ? { code: 'parameter_invalid', message: `Unknown field ${field}`, field }
        : { code: 'parameter_invalid', message, field },
    );
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

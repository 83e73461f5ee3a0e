import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { applicableConstraints } from '../applicable-constraints';
import { fieldPath } from '../json-path';
import { prototypeKeyMessage, prototypeKeyPath } from '../prototype-keys';
import { acceptsPlainly, plainAcceptanceOf } from './plain-body-acceptance';
import { HttpProblem, type IntercomErrorItem } from './intercom-error';
import { unknownQueryParameterMessage } from './query-parameters';

/**
 * class-validator with Intercom's error shape: unknown body fields are refused by name (never
 * silently dropped) and every problem names its field, nested ones with a dotted path.
 *
 * A body that the DTO's rules plainly accept (see `plainAcceptanceOf`) skips class-transformer
 * and class-validator (measured on a `POST /contacts` body: 22 µs through them, 2 µs plainly; they
 * were 6–7% of the service's CPU under `POST /contacts` load). Anything else, refusals included,
 * takes the full path, so every error reads as class-validator words it.
 */
export function intercomValidationPipe(): ValidationPipe {
  return new IntercomValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors) => new HttpProblem(400, flatten(errors)),
  });
}

class IntercomValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const metatype = metadata.metatype;
    if (metadata.type === 'body' && metatype !== undefined && this.toValidate(metadata)) {
      // A DTO is an object's fields: null, an array or a bare value has none to take (null would
      // otherwise pass as an update that changes nothing).
      if (
        value !== undefined &&
        (typeof value !== 'object' || value === null || Array.isArray(value))
      )
        throw HttpProblem.of(
          400,
          'parameter_invalid',
          'The request body must be a JSON object',
          'body',
        );
      refusePrototypeKeys(value);
      const acceptance = plainAcceptanceOf(metatype);
      if (acceptance !== undefined && acceptsPlainly(acceptance, value)) {
        return Promise.resolve(Object.assign(new (metatype as new () => object)(), value));
      }
    }
    if (metadata.type === 'query' && metatype !== undefined && this.toValidate(metadata)) {
      refusePrototypeKeys(value);
      return super.transform(value, metadata).catch((error: unknown) => {
        throw asQueryProblem(error);
      });
    }
    return super.transform(value, metadata);
  }
}

const unknownFieldMessage = (field: string): string => `Unknown field ${field}`;

/** A query's unknown field is a query parameter, as routes without a query DTO name it. */
function asQueryProblem(error: unknown): unknown {
  if (!(error instanceof HttpProblem)) return error;
  return new HttpProblem(
    error.status,
    error.errors.map((problem) =>
      problem.field !== undefined && problem.message === unknownFieldMessage(problem.field)
        ? { ...problem, message: unknownQueryParameterMessage(problem.field) }
        : problem,
    ),
    error.headers,
  );
}

/**
 * The full path would delete these keys and go on without them: a field of the request (or a
 * query parameter) is never dropped unseen, so it is refused by name.
 */
function refusePrototypeKeys(value: unknown): void {
  const path = prototypeKeyPath(value);
  if (path !== undefined)
    throw HttpProblem.of(400, 'parameter_invalid', prototypeKeyMessage(path), path);
}

function flatten(errors: readonly ValidationError[], parent = ''): IntercomErrorItem[] {
  return errors.flatMap((error) => {
    const field = fieldPath(parent, error.property);
    // Optional fields pass when absent: a refused absent field is a required one left out, one
    // problem however many of its rules an absent value fails.
    if (error.value === undefined && error.constraints !== undefined) {
      return [{ code: 'parameter_not_found', message: `${field} is required`, field }];
    }
    const own = applicableConstraints(error.constraints).map(([constraint, message]) =>
      constraint === 'whitelistValidation'
        ? { code: 'parameter_invalid', message: unknownFieldMessage(field), field }
        : { code: 'parameter_invalid', message, field },
    );
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { catchError, type Observable, throwError } from 'rxjs';
import { HttpProblem } from '../../../shared/http/intercom-error';

/** No data attribute with that id in the workspace, or one whose values are not kept (`id`, `avatar`). */
export class AttributeValuesNotFound extends Error {
  override readonly name = 'AttributeValuesNotFound';
  readonly code = 'not_found';
  readonly field = 'id';
  constructor(
    readonly attributeId: string,
    reason: 'unknown' | 'not_kept',
  ) {
    super(
      reason === 'unknown'
        ? `Data attribute ${attributeId} not found`
        : `Values are not kept for data attribute ${attributeId}`,
    );
  }
}

/** A `starting_after` this endpoint did not give out for this attribute. */
export class InvalidAttributeValuesCursor extends Error {
  override readonly name = 'InvalidAttributeValuesCursor';
  readonly code = 'parameter_invalid';
  readonly field = 'starting_after';
  constructor(reason: string) {
    super(`starting_after is not a valid cursor: ${reason}`);
  }
}

/** Maps the endpoint's refusals to Intercom's envelope (404 / 400); other errors pass through. */
@Injectable()
export class AttributeValuesProblems implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next
      .handle()
      .pipe(
        catchError((error: unknown) =>
          throwError(() =>
            error instanceof AttributeValuesNotFound
              ? HttpProblem.of(404, error.code, error.message, error.field)
              : error instanceof InvalidAttributeValuesCursor
                ? HttpProblem.of(400, error.code, error.message, error.field)
                : error,
          ),
        ),
      );
  }
}

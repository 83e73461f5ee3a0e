import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { catchError, type Observable, throwError } from 'rxjs';
import { HttpProblem } from '../shared/http/intercom-error';
import { DataAttributeError, type DataAttributeErrorCode } from './domain/data-attribute.errors';

const STATUS_BY_CODE: Readonly<Record<DataAttributeErrorCode, number>> = {
  parameter_invalid: 400,
  field_not_found: 404,
  data_invalid: 422,
};

/**
 * The one mapping of data attribute refusals (custom attribute writes on contacts included) to
 * Intercom's error envelope.
 */
export const dataAttributeProblem = (error: DataAttributeError): HttpProblem =>
  HttpProblem.of(
    error.status ?? STATUS_BY_CODE[error.code],
    error.code,
    error.message,
    error.field,
  );

/** Turns a refusal thrown below the controller into its `HttpProblem`; other errors pass through. */
@Injectable()
export class DataAttributeProblems implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next
      .handle()
      .pipe(
        catchError((error: unknown) =>
          throwError(() =>
            error instanceof DataAttributeError ? dataAttributeProblem(error) : error,
          ),
        ),
      );
  }
}

import { applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from '../../shared/http/intercom-error';
import { TakesQueryParameters } from '../../shared/http/query-parameters';

/**
 * Whether the request asks for `merge_history` on the users it answers (`?include_merge_history=true`).
 * Another value is refused rather than taken for false (`=ture` would answer without it).
 */
export function includeMergeHistoryOf(request: FastifyRequest): boolean {
  const value = (request.query as { include_merge_history?: unknown } | undefined)
    ?.include_merge_history;
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw HttpProblem.of(
    400,
    'parameter_invalid',
    'include_merge_history must be one of the following values: true, false',
    'include_merge_history',
  );
}

/** `includeMergeHistoryOf` the handled request, as a handler parameter. */
export const IncludeMergeHistory = createParamDecorator(
  (_data: unknown, context: ExecutionContext): boolean =>
    includeMergeHistoryOf(context.switchToHttp().getRequest<FastifyRequest>()),
);

/** The route takes the parameter, and the OpenAPI document says so. */
export const IncludeMergeHistoryQuery = () =>
  applyDecorators(
    ApiQuery({ name: 'include_merge_history', required: false, enum: ['true', 'false'] }),
    TakesQueryParameters('include_merge_history'),
  );

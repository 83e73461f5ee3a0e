import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';

/** Whether the request asks for `merge_history` on the users it answers (`?include_merge_history=true`). */
export const includeMergeHistoryOf = (request: FastifyRequest): boolean =>
  (request.query as { include_merge_history?: unknown } | undefined)?.include_merge_history ===
  'true';

/** `includeMergeHistoryOf` the handled request, as a handler parameter. */
export const IncludeMergeHistory = createParamDecorator(
  (_data: unknown, context: ExecutionContext): boolean =>
    includeMergeHistoryOf(context.switchToHttp().getRequest<FastifyRequest>()),
);

/** The OpenAPI document's entry for the parameter. */
export const IncludeMergeHistoryQuery = () =>
  ApiQuery({ name: 'include_merge_history', required: false, enum: ['true', 'false'] });

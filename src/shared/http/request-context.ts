import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { EventCause } from '../event-store/event-store.port';

/**
 * What the events of an API write name as their cause: the API, and the request that made them.
 * Passed along with the command, rather than kept in an AsyncLocalStorage, whose promise hooks
 * cost every promise of the process (ingestion and projections included) a share of its time.
 */
export const RequestCause = createParamDecorator(
  (_data: unknown, context: ExecutionContext): EventCause => ({
    actor: 'api',
    causationId: context.switchToHttp().getRequest<FastifyRequest>().id,
  }),
);

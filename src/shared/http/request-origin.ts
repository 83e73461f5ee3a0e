import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * The scheme and host the client addressed, e.g. `http://localhost:3000`: Intercom's list pages
 * give `next` as an absolute URL, which a client fetches as it is.
 */
export const RequestOrigin = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string => {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    return `${request.protocol}://${request.host}`;
  },
);

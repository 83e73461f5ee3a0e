import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * The scheme and host the client addressed, e.g. `http://localhost:3000`: Intercom's list pages
 * give `next` as an absolute URL, which a client fetches as it is; empty when the Host header names
 * no host, so that the URL is a path on the host the client reached.
 */
export const RequestOrigin = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string => {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    // The Host header is the client's to write: anything but a host and port gives a path alone.
    return HOST_AND_PORT.test(request.host) ? `${request.protocol}://${request.host}` : '';
  },
);

const HOST_AND_PORT = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

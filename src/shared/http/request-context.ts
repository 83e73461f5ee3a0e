import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance } from 'fastify';

const requestIds = new AsyncLocalStorage<string>();

/**
 * Handles every request with its id at hand, so that the events a request causes can name it.
 * Entered once the body is parsed: a body's stream is read outside the request's async context.
 */
export function keepRequestIds(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', (request, _reply, done) => {
    requestIds.run(request.id, done);
  });
}

/** What the events of an API write name as their cause: the API, and the request when known. */
export function apiCause(): { readonly actor: string; readonly causationId?: string } {
  const requestId = requestIds.getStore();
  return requestId === undefined ? { actor: 'api' } : { actor: 'api', causationId: requestId };
}

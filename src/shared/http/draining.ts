import type { FastifyInstance } from 'fastify';
import { HttpProblem } from './intercom-error';
import { replyWithError } from './intercom-exception.filter';

/**
 * Once a shutdown has begun, requests still arriving (on a kept-alive connection) are answered
 * `503` in the Intercom envelope, with `Retry-After` and `Connection: close`, and logged as any
 * answer is: Fastify's own answer for them (`return503OnClosing`) is a bare body without either.
 * The requests in flight when it began are answered as usual.
 */
export function answerRequestsWhileDraining(fastify: FastifyInstance): void {
  let draining = false;
  fastify.addHook('preClose', (done) => {
    draining = true;
    done();
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!draining) return done();
    void reply.header('Connection', 'close');
    replyWithError(DRAINING, request, reply);
  });
}

const DRAINING = new HttpProblem(
  503,
  [{ code: 'service_unavailable', message: 'The service is shutting down; retry the request' }],
  { 'Retry-After': '1' },
);

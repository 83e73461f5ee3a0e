import type { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** A route handler that Fastify calls itself; it answers every outcome, errors included. */
export type DirectHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * Has Fastify call `handler` for the route Nest registers as `method url`, instead of Nest's
 * request pipeline (guard, param pipes, interceptors, exception filters, response mapping: about
 * 9 µs a request, a fifth of the service's CPU under `GET /contacts/{id}`). Nest still declares
 * the route, so its schema, options and OpenAPI description stay; the handler does itself what
 * the pipeline did for it: authenticate (`authenticate`) and answer errors (`replyWithError`).
 *
 * Must be called before Nest registers its routes (a controller's constructor is); Fastify
 * refuses to start if Nest then registered no such route. On another adapter, Nest serves it.
 */
export function serveDirectly(
  adapterHost: HttpAdapterHost,
  method: 'GET' | 'POST',
  url: string,
  handler: DirectHandler,
): void {
  // Emits once the application has its adapter: at once under NestFactory, later for a testing
  // module (created before its application); in both cases before Nest registers routes.
  adapterHost.init$.subscribe(() => {
    const adapter = adapterHost.httpAdapter;
    if (adapter.getType() !== 'fastify') return;
    const fastify = adapter.getInstance<FastifyInstance>();
    let taken = false;
    fastify.addHook('onRoute', (options) => {
      if (options.method === method && options.url === url) {
        options.handler = answeringEmptyParametersAsNoRoute(handler);
        taken = true;
      }
    });
    fastify.addHook('onReady', (done) =>
      done(
        taken ? undefined : new Error(`serveDirectly: no route ${method} ${url} was registered`),
      ),
    );
  });
}

/**
 * find-my-way matches an empty segment to a parameter (`GET /contacts/` to `/contacts/:id`, with
 * id ''); Nest's adapter wraps each handler of its routes to answer such a request as no route
 * (its not-found answer), so a handler that replaces Nest's must do the same, or `/contacts/`
 * would be read as the contact with id '' while `/segments/` is no route.
 */
function answeringEmptyParametersAsNoRoute(handler: DirectHandler): DirectHandler {
  return (request, reply) => {
    const parameters = request.params as Readonly<Record<string, string>>;
    for (const name in parameters) {
      if (parameters[name] === '') {
        reply.callNotFound();
        return Promise.resolve();
      }
    }
    return handler(request, reply);
  };
}

import type { FastifyInstance } from 'fastify';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

const trackers = new WeakMap<Server, UnfinishedRequests>();

/**
 * The connections of a server that hold no request being handled: silent ones, and those whose
 * request is still arriving (headers or body). A shutdown ends them: Node stops timing requests
 * out once its server closes, so one client stopping midway held every shutdown to its deadline.
 */
export class UnfinishedRequests {
  private readonly connections = new Set<Socket>();
  private readonly handling = new Set<Socket>();

  static track(fastify: FastifyInstance): void {
    const tracker = new UnfinishedRequests();
    fastify.server.on('connection', (socket: Socket) => {
      tracker.connections.add(socket);
      socket.once('close', () => {
        tracker.connections.delete(socket);
        tracker.handling.delete(socket);
      });
    });
    // From the handler's start (the request arrived whole) until its answer has gone out.
    fastify.addHook('preHandler', (request, _reply, done) => {
      tracker.handling.add(request.raw.socket);
      done();
    });
    fastify.addHook('onResponse', (request, _reply, done) => {
      tracker.handling.delete(request.raw.socket);
      done();
    });
    trackers.set(fastify.server, tracker);
  }

  /** Ends every connection of `server` whose request is not being handled. */
  static end(server: Server): void {
    const tracker = trackers.get(server);
    if (tracker === undefined) return;
    for (const socket of tracker.connections) if (!tracker.handling.has(socket)) socket.destroy();
  }
}

import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

const trackers = new WeakMap<Server, UnfinishedRequests>();

/**
 * The connections of a server that hold no request being handled: silent ones, and those whose
 * request is still arriving (headers or body). A shutdown ends them: Node stops timing requests
 * out once its server closes, so one client stopping midway held every shutdown to its deadline.
 */
export class UnfinishedRequests {
  private readonly connections = new Set<Socket>();
  /**
   * The requests being handled, by connection. Requests, not connections: under load a client's
   * next request on a keep-alive connection can reach its handler before the hook that sees the
   * previous answer out has run, and that hook must not take the connection for idle.
   */
  private readonly handling = new Map<Socket, Set<IncomingMessage>>();

  static track(fastify: FastifyInstance): void {
    const tracker = new UnfinishedRequests();
    fastify.server.on('connection', (socket: Socket) => tracker.connected(socket));
    // From the handler's start (the request arrived whole) until its answer has gone out.
    fastify.addHook('preHandler', (request, _reply, done) => {
      tracker.handlingStarted(request.raw);
      done();
    });
    fastify.addHook('onResponse', (request, _reply, done) => {
      tracker.handlingEnded(request.raw);
      done();
    });
    trackers.set(fastify.server, tracker);
  }

  /** Ends every connection of `server` whose request is not being handled. */
  static end(server: Server): void {
    trackers.get(server)?.endUnhandled();
  }

  connected(socket: Socket): void {
    this.connections.add(socket);
    socket.once('close', () => {
      this.connections.delete(socket);
      this.handling.delete(socket);
    });
  }

  handlingStarted(request: IncomingMessage): void {
    const requests = this.handling.get(request.socket);
    if (requests) requests.add(request);
    else this.handling.set(request.socket, new Set([request]));
  }

  handlingEnded(request: IncomingMessage): void {
    const requests = this.handling.get(request.socket);
    requests?.delete(request);
    if (requests?.size === 0) this.handling.delete(request.socket);
  }

  endUnhandled(): void {
    for (const socket of this.connections) if (!this.handling.has(socket)) socket.destroy();
  }
}

import { createServer, type AddressInfo, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import { SqliteEventStore } from '../../../src/infrastructure/event-store/sqlite/sqlite-event-store';
import type { EventStore } from '../../../src/shared/event-store/event-store.port';
import { createStreamsService } from './streams-service';

/**
 * Calls one HTTP/2 connection serves before the stand-in retires it. Node's HTTP/2 server
 * (nghttp2) ends a connection with GOAWAY INTERNAL_ERROR, failing every call on it, once its client
 * has reset about 1,000 streams, plus ~33 a second: its guard against rapid-reset attacks. The
 * service resets a stream whenever it leaves a read early or closes a subscription, dozens a
 * second under load, and a real EventStoreDB keeps no such budget. Retiring the connection well
 * before that (a graceful GOAWAY: its calls finish there, the client opens a new one for the next)
 * keeps the guard out of the tests.
 */
const CALLS_PER_CONNECTION = 500;

/** A retired connection's calls may take as long as they need (Node's longest timer). */
const RETIRED_CALLS_GRACE_MS = 2 ** 31 - 1;

/**
 * The stand-in's address for the db-client, keepalive off: Node fails a ping on a connection that
 * received GOAWAY at once, and grpc-js takes that failure for a dead connection and drops every
 * call still on it, so a retired connection's long calls (subscriptions) would end within one
 * keepalive interval instead of running to their end.
 */
export function standInConnectionString(port: number): string {
  return `esdb://127.0.0.1:${port}?tls=false&keepAliveInterval=-1`;
}

export interface EsdbStandIn {
  /** `standInConnectionString(port)` */
  readonly connectionString: string;
  readonly port: number;
  /** The embedded store behind the protocol (shared across restarts when passed in). */
  readonly store: EventStore;
  /** Ends every live subscription call with UNAVAILABLE, as a failing server would; returns how many. */
  dropSubscriptions(): number;
  /** Subscription calls currently being served. */
  liveSubscriptionCount(): number;
  /** Events sent by reads of `$all` (subscriptions aside) so far: how much clients have read of the log. */
  allReadEventsSent(): number;
  /** Stops serving at once (in-flight calls fail); closes the store only if the stand-in opened it. */
  close(): Promise<void>;
}

export interface EsdbStandInOptions {
  /** Serve this store instead of a fresh in-memory `SqliteEventStore` (e.g. to restart on the same data). */
  readonly store?: EventStore;
  /** Listen on this port instead of a random one (e.g. to restart where clients expect it). */
  readonly port?: number;
}

/**
 * An in-process stand-in for EventStoreDB's gRPC Streams service, for tests only: the real
 * `@eventstore/db-client` talks to it over a real HTTP/2 connection, and it stores events in the
 * embedded SQLite store. Only the Streams service is served: the client's ServerFeatures probe
 * gets UNIMPLEMENTED and it then uses the plain Append call, and a single-node connection string
 * needs no gossip. Each connection is retired after `CALLS_PER_CONNECTION` calls.
 */
export async function startEsdbStandIn(options: EsdbStandInOptions = {}): Promise<EsdbStandIn> {
  const ownsStore = options.store === undefined;
  const store = options.store ?? SqliteEventStore.open({ file: ':memory:', synchronous: 'OFF' });
  const { service, live, allReads } = createStreamsService(store);
  const connections = new Map<string, { injector: grpc.ConnectionInjector; calls: number }>();
  const sockets = new Set<Socket>();
  const retireWhenBusy: grpc.ServerInterceptor = (_method, call) => {
    const connection = connections.get(call.getPeer());
    if (connection && ++connection.calls === CALLS_PER_CONNECTION) {
      connection.injector.drain(RETIRED_CALLS_GRACE_MS);
    }
    return new grpc.ServerInterceptingCall(call);
  };
  const server = new grpc.Server({ interceptors: [retireWhenBusy] });
  server.addService(StreamsService, service);
  // One injector per connection: draining it retires that connection alone.
  const listener = createServer((socket) => {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    connections.set(peer, { injector, calls: 0 });
    sockets.add(socket);
    socket.once('close', () => {
      connections.delete(peer);
      sockets.delete(socket);
      injector.destroy();
    });
    injector.injectConnection(socket);
  });
  const port = await new Promise<number>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port ?? 0, '127.0.0.1', () => {
      listener.off('error', reject);
      resolve((listener.address() as AddressInfo).port);
    });
  });
  return {
    connectionString: standInConnectionString(port),
    port,
    store,
    dropSubscriptions: () => live.dropAll(),
    liveSubscriptionCount: () => live.count(),
    allReadEventsSent: () => allReads.eventsSent(),
    close: async () => {
      live.dropAll();
      server.forceShutdown();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      if (ownsStore) await store.close();
    },
  };
}

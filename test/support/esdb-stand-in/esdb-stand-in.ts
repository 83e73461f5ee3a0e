import * as grpc from '@grpc/grpc-js';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import { SqliteEventStore } from '../../../src/infrastructure/event-store/sqlite/sqlite-event-store';
import type { EventStore } from '../../../src/shared/event-store/event-store.port';
import { createStreamsService } from './streams-service';

export interface EsdbStandIn {
  /** `esdb://127.0.0.1:<port>?tls=false` */
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
 * needs no gossip.
 */
export async function startEsdbStandIn(options: EsdbStandInOptions = {}): Promise<EsdbStandIn> {
  const ownsStore = options.store === undefined;
  const store = options.store ?? SqliteEventStore.open({ file: ':memory:', synchronous: 'OFF' });
  const { service, live, allReads } = createStreamsService(store);
  const server = new grpc.Server();
  server.addService(StreamsService, service);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `127.0.0.1:${options.port ?? 0}`,
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    );
  });
  return {
    connectionString: `esdb://127.0.0.1:${port}?tls=false`,
    port,
    store,
    dropSubscriptions: () => live.dropAll(),
    liveSubscriptionCount: () => live.count(),
    allReadEventsSent: () => allReads.eventsSent(),
    close: async () => {
      live.dropAll();
      server.forceShutdown();
      if (ownsStore) await store.close();
    },
  };
}

import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { EsdbEventStore } from '../../src/infrastructure/event-store/esdb/esdb-event-store';
import {
  decodePosition,
  encodePosition,
  isTransientError,
} from '../../src/infrastructure/event-store/esdb/esdb-mapping';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite/sqlite-event-store';
import { EventStoreUnavailable } from '../../src/shared/event-store/event-store.errors';
import {
  ESTIMATED_EVENT_BYTES,
  type AllSubscription,
  type RecordedEvent,
} from '../../src/shared/event-store/event-store.port';
import { startEsdbStandIn, type EsdbStandIn } from '../support/esdb-stand-in/esdb-stand-in';
import { anEvent, describeEventStoreConformance } from './event-store.conformance';

const fastRetry = { retryBackoff: { initialMs: 20, maxMs: 200 } };

describeEventStoreConformance('EventStoreDB client → gRPC stand-in', async () => {
  const standIn = await startEsdbStandIn();
  const store = await EsdbEventStore.connect(standIn.connectionString, fastRetry);
  return {
    store,
    dispose: async () => {
      await store.close();
      await standIn.close();
    },
  };
});

// Runs only where a real server is configured (docker compose up eventstore).
const realServer = process.env.EVENTSTORE_CONNECTION_STRING;
if (realServer) {
  describeEventStoreConformance('EventStoreDB (real server)', async () => {
    const store = await EsdbEventStore.connect(realServer, fastRetry);
    return { store, dispose: () => store.close() };
  });
}

describe('ESDB position encoding', () => {
  it('packs {commit, prepare} into one bigint that decodes exactly and keeps their order', () => {
    const positions = [
      { commit: 0n, prepare: 0n },
      { commit: 5n, prepare: 3n },
      { commit: 5n, prepare: 4n },
      { commit: 6n, prepare: 0n },
      { commit: 2n ** 63n, prepare: 2n ** 64n - 1n },
    ];
    const encoded = positions.map(encodePosition);
    expect(encoded.map(decodePosition)).toEqual(positions);
    encoded.slice(1).forEach((value, index) => expect(value).toBeGreaterThan(encoded[index]!));
    expect(encoded.map(String)).toEqual(encoded.map((value) => value.toString(10)));
  });

  it('estimates the events between two positions from the log bytes between them', async () => {
    // The channel opens lazily: no server is needed for arithmetic on positions.
    const store = await EsdbEventStore.connect('esdb://127.0.0.1:1?tls=false');
    const at = (commit: bigint) => encodePosition({ commit, prepare: commit });
    try {
      expect(store.eventsBetween(at(4096n), at(4096n + 13n * ESTIMATED_EVENT_BYTES))).toBe(13n);
      expect(store.eventsBetween(at(4096n), at(4100n))).toBe(1n);
      expect(store.eventsBetween(at(4096n), at(4096n))).toBe(0n);
      expect(store.eventsBetween(at(5000n), at(4096n))).toBe(0n);
    } finally {
      await store.close();
    }
  });
});

describe('EsdbEventStore subscription after a drop', () => {
  const prefix = () => `drop${randomUUID().replace(/-/g, '').slice(0, 12)}`;

  /** Consumes a subscription in the background, recording events and caught-up reports. */
  function consume(subscription: AllSubscription) {
    const received: RecordedEvent[] = [];
    let caughtUp = 0;
    const done = (async () => {
      for await (const message of subscription) {
        if (message.kind === 'caughtUp') caughtUp += 1;
        else received.push(message.event);
      }
    })();
    return { received, caughtUps: () => caughtUp, done };
  }

  async function appendEach(
    store: { append: EsdbEventStore['append'] },
    stream: string,
    count: number,
  ) {
    const events = Array.from({ length: count }, () => anEvent());
    for (const event of events) await store.append(stream, [event], { expectedRevision: 'any' });
    return events.map((event) => event.id);
  }

  it('resubscribes from the last delivered position when the server drops the call: no gap, no duplicate', async () => {
    const standIn = await startEsdbStandIn();
    const store = await EsdbEventStore.connect(standIn.connectionString, fastRetry);
    const stream = `${prefix()}-s`;
    try {
      const before = await appendEach(store, stream, 15);
      const subscription = store.subscribeToAll({ filter: { streamPrefixes: [stream] } });
      const consumer = consume(subscription);
      await waitUntil(() => consumer.received.length === 15 && consumer.caughtUps() === 1);

      expect(standIn.dropSubscriptions()).toBe(1);
      const during = await appendEach(store, stream, 10);
      await waitUntil(() => standIn.liveSubscriptionCount() === 1);
      expect(standIn.dropSubscriptions()).toBe(1);
      const after = await appendEach(store, stream, 10);
      await waitUntil(() => consumer.received.length >= 35);

      await subscription.close();
      await consumer.done;
      expect(consumer.received.map((event) => event.id)).toEqual([...before, ...during, ...after]);
      expect(consumer.received.map((event) => event.revision)).toEqual(
        Array.from({ length: 35 }, (_, i) => BigInt(i)),
      );
      expect(consumer.caughtUps()).toBe(1);
    } finally {
      await store.close();
      await standIn.close();
    }
  });

  it('keeps retrying with backoff while the server is down and continues once it is back on the same port', async () => {
    const backing = SqliteEventStore.open({ file: ':memory:', synchronous: 'OFF' });
    let standIn: EsdbStandIn = await startEsdbStandIn({ store: backing });
    const store = await EsdbEventStore.connect(standIn.connectionString, fastRetry);
    const stream = `${prefix()}-s`;
    try {
      const before = await appendEach(store, stream, 10);
      const subscription = store.subscribeToAll({ filter: { streamPrefixes: [stream] } });
      const consumer = consume(subscription);
      await waitUntil(() => consumer.received.length === 10);

      await standIn.close();
      await expect(store.headPosition()).rejects.toBeInstanceOf(EventStoreUnavailable);
      // Written while the server is down (directly to its storage): must not be missed.
      const whileDown = await appendEach(backing, stream, 5);
      standIn = await startEsdbStandIn({ store: backing, port: standIn.port });
      const after = await appendEach(store, stream, 5);
      await waitUntil(() => consumer.received.length >= 20);

      await subscription.close();
      await consumer.done;
      expect(consumer.received.map((event) => event.id)).toEqual([
        ...before,
        ...whileDown,
        ...after,
      ]);
    } finally {
      await store.close();
      await standIn.close();
      await backing.close();
    }
  });

  it('reports an unreachable server as EventStoreUnavailable', async () => {
    const standIn = await startEsdbStandIn();
    await standIn.close();
    const store = await EsdbEventStore.connect(standIn.connectionString, {
      ...fastRetry,
      appendAttempts: 2,
    });
    try {
      await expect(
        store.append(`${prefix()}-x`, [anEvent()], { expectedRevision: 'any' }),
      ).rejects.toBeInstanceOf(EventStoreUnavailable);
    } finally {
      await store.close();
    }
  });
});

describe('ESDB transient errors', () => {
  it('take a closed HTTP/2 session (INTERNAL, RST_STREAM) as a failed connection, and no other INTERNAL', () => {
    const internal = (message: string) => Object.assign(new Error(message), { code: 13 });
    expect(
      isTransientError(
        internal(
          '13 INTERNAL: Received RST_STREAM with code 2 triggered by internal client error: Session closed with error code 2',
        ),
      ),
    ).toBe(true);
    expect(isTransientError(internal('13 INTERNAL: Unexpected server state'))).toBe(false);
  });
});

describe('EsdbEventStore against a server that stops answering', () => {
  it('fails reads as EventStoreUnavailable after the idle time, rather than waiting for ever', async () => {
    // Accepts connections and never answers, as a frozen or cut-off node does.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const store = await EsdbEventStore.connect(`esdb://127.0.0.1:${port}?tls=false`, {
      ...fastRetry,
      readIdleMs: 300,
    });
    try {
      const read = async () => {
        for await (const event of store.readStream(`frozen-${randomUUID()}`)) return event;
        return undefined;
      };
      await expect(read()).rejects.toBeInstanceOf(EventStoreUnavailable);
      await expect(store.headPosition()).rejects.toBeInstanceOf(EventStoreUnavailable);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
      await store.close();
    }
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import {
  END,
  EventStoreDBClient,
  FORWARDS,
  START,
  jsonEvent,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { startEsdbStandIn } from '../support/esdb-stand-in/esdb-stand-in';

/**
 * Node's HTTP/2 server (nghttp2) ends a connection with GOAWAY INTERNAL_ERROR once its client has
 * reset about 1,000 streams, plus ~33 a second, as it would a rapid-reset attack; every call in
 * flight on it then fails with "Session closed with error code 2". A real EventStoreDB keeps no
 * such budget, and the service cancels reads it has finished with and subscriptions it closes.
 */
describe('EventStoreDB stand-in, through the real db-client', () => {
  // Past the budget unless cancelling them takes longer than ~15 s (it refills ~33 a second).
  const cancelledCalls = 1_500;
  const batch = 100;

  it('serves a read in flight and new calls after its client cancelled 1,500 calls', async () => {
    const standIn = await startEsdbStandIn();
    const client = EventStoreDBClient.connectionString(standIn.connectionString);
    const stream = `cancelled-${randomUUID()}`;
    try {
      // More than one HTTP/2 flow-control window: the server is still sending while it is held.
      const written = Array.from({ length: 300 }, (_, i) =>
        jsonEvent({ type: 'Filled', data: { i, padding: 'x'.repeat(200) } }),
      );
      await client.appendToStream(stream, written);
      const reading = client.readStream(stream, { direction: FORWARDS, fromRevision: START });
      const held = reading[Symbol.asyncIterator]() as AsyncIterator<ResolvedEvent>;
      const first = await held.next();
      expect(first.value?.event?.revision).toBe(0n);

      // Subscriptions never end of themselves: each one the client leaves resets its stream.
      for (let cancelled = 0; cancelled < cancelledCalls; cancelled += batch) {
        await Promise.all(
          Array.from({ length: batch }, async () => {
            const subscription = client.subscribeToAll({ fromPosition: END });
            await once(subscription, 'confirmation');
            await subscription.unsubscribe();
          }),
        );
      }

      const rest: bigint[] = [];
      for (let next = await held.next(); next.done !== true; next = await held.next()) {
        if (next.value.event) rest.push(next.value.event.revision);
      }
      expect(rest).toEqual(Array.from({ length: 299 }, (_, i) => BigInt(i + 1)));
      const appended = await client.appendToStream(stream, jsonEvent({ type: 'After', data: {} }));
      expect(appended.nextExpectedRevision).toBe(300n);
      const events = client.readStream(stream, { fromRevision: 300n });
      const revisions: bigint[] = [];
      for await (const resolved of events) revisions.push(resolved.event!.revision);
      expect(revisions).toEqual([300n]);
    } finally {
      await client.dispose();
      await standIn.close();
    }
  });
});

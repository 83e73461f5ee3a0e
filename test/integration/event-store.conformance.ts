import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { WrongExpectedRevision } from '../../src/shared/event-store/event-store.errors';
import type {
  EventStore,
  ExpectedRevision,
  NewEvent,
  RecordedEvent,
  SubscriptionMessage,
} from '../../src/shared/event-store/event-store.port';

export interface OpenedStore {
  readonly store: EventStore;
  dispose(): Promise<void>;
}

/**
 * The executable definition of the EventStore port. Every adapter runs these same tests, so the
 * test names are identical across adapters. Stream names are unique per test, so a shared server
 * (a real EventStoreDB) can run it repeatedly.
 */
export function describeEventStoreConformance(
  adapterName: string,
  open: () => Promise<OpenedStore>,
): void {
  describe(`EventStore conformance: ${adapterName}`, () => {
    let opened: OpenedStore;
    let store: EventStore;
    let prefix: string;

    beforeAll(async () => {
      opened = await open();
      store = opened.store;
    });
    afterAll(async () => {
      await opened.dispose();
    });
    beforeEach(() => {
      prefix = `conf${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    });

    const stream = (name: string) => `${prefix}-${name}`;

    describe('expected revision', () => {
      it('no_stream succeeds on a new stream and reports revision 0', async () => {
        const result = await store.append(stream('a'), [anEvent()], {
          expectedRevision: 'no_stream',
        });
        expect(result.nextExpectedRevision).toBe(0n);
        expect(result.position).toBeGreaterThan(0n);
      });

      it('no_stream on an existing stream is refused with expected and actual', async () => {
        await store.append(stream('a'), [anEvent()], { expectedRevision: 'no_stream' });
        const error = await captureError(
          store.append(stream('a'), [anEvent()], { expectedRevision: 'no_stream' }),
        );
        expect(error).toBeInstanceOf(WrongExpectedRevision);
        expect(error).toMatchObject({ streamId: stream('a'), expected: 'no_stream', actual: 0n });
      });

      it('stream_exists is refused on a missing stream and accepted on an existing one', async () => {
        const error = await captureError(
          store.append(stream('b'), [anEvent()], { expectedRevision: 'stream_exists' }),
        );
        expect(error).toBeInstanceOf(WrongExpectedRevision);
        expect(error).toMatchObject({ expected: 'stream_exists', actual: 'no_stream' });
        await store.append(stream('b'), [anEvent()], { expectedRevision: 'no_stream' });
        const result = await store.append(stream('b'), [anEvent()], {
          expectedRevision: 'stream_exists',
        });
        expect(result.nextExpectedRevision).toBe(1n);
      });

      it('an exact revision succeeds when it matches and is refused with expected and actual otherwise', async () => {
        await store.append(stream('c'), [anEvent(), anEvent(), anEvent()], {
          expectedRevision: 'no_stream',
        });
        const ok = await store.append(stream('c'), [anEvent()], { expectedRevision: 2n });
        expect(ok.nextExpectedRevision).toBe(3n);
        const error = await captureError(
          store.append(stream('c'), [anEvent()], { expectedRevision: 1n }),
        );
        expect(error).toBeInstanceOf(WrongExpectedRevision);
        expect(error).toMatchObject({ expected: 1n, actual: 3n });
        const missing = await captureError(
          store.append(stream('c-missing'), [anEvent()], { expectedRevision: 0n }),
        );
        expect(missing).toMatchObject({ expected: 0n, actual: 'no_stream' });
      });

      it('any always appends at the end', async () => {
        await store.append(stream('d'), [anEvent()], { expectedRevision: 'any' });
        const result = await store.append(stream('d'), [anEvent(), anEvent()], {
          expectedRevision: 'any',
        });
        expect(result.nextExpectedRevision).toBe(2n);
      });

      it('a refused append writes nothing', async () => {
        await store.append(stream('e'), [anEvent()], { expectedRevision: 'no_stream' });
        await captureError(
          store.append(stream('e'), [anEvent(), anEvent()], { expectedRevision: 5n }),
        );
        expect(await collect(store.readStream(stream('e')))).toHaveLength(1);
      });
    });

    describe('idempotent retry', () => {
      it('appending the same event ids at the same position again succeeds without writing twice', async () => {
        const events = [anEvent(), anEvent()];
        const first = await store.append(stream('r'), events, { expectedRevision: 'no_stream' });
        const retry = await store.append(stream('r'), events, { expectedRevision: 'no_stream' });
        expect(retry).toEqual(first);
        const next = [anEvent()];
        const third = await store.append(stream('r'), next, { expectedRevision: 1n });
        const retryExact = await store.append(stream('r'), next, { expectedRevision: 1n });
        expect(retryExact).toEqual(third);
        const read = await collect(store.readStream(stream('r')));
        expect(read.map((event) => event.id)).toEqual(
          [...events, ...next].map((event) => event.id),
        );
      });

      it('a retry answered with the earlier position leaves the head where it was', async () => {
        const events = [anEvent()];
        const first = await store.append(stream('h'), events, { expectedRevision: 'no_stream' });
        const later = await store.append(stream('i'), [anEvent()], { expectedRevision: 'any' });
        const retry = await store.append(stream('h'), events, { expectedRevision: 'no_stream' });
        expect(retry.position).toBe(first.position);
        expect(await store.headPosition()).toBeGreaterThanOrEqual(later.position);
      });
    });

    describe('readStream', () => {
      it('reads forwards, backwards, from a revision and with maxCount', async () => {
        const events = Array.from({ length: 5 }, (_, index) => anEvent('Numbered', { index }));
        await store.append(stream('s'), events, { expectedRevision: 'no_stream' });
        const forwards = await collect(store.readStream(stream('s')));
        expect(forwards.map((event) => event.revision)).toEqual([0n, 1n, 2n, 3n, 4n]);
        expect(forwards.map((event) => event.data)).toEqual(events.map((event) => event.data));
        expect(forwards[0]).toMatchObject({
          id: events[0]!.id,
          type: 'Numbered',
          streamId: stream('s'),
          metadata: events[0]!.metadata,
        });
        expect(forwards[0]!.recordedAt).toBeInstanceOf(Date);
        const backwards = await collect(
          store.readStream(stream('s'), { direction: 'backwards', maxCount: 2 }),
        );
        expect(backwards.map((event) => event.revision)).toEqual([4n, 3n]);
        const fromTwo = await collect(
          store.readStream(stream('s'), { fromRevision: 2n, maxCount: 2 }),
        );
        expect(fromTwo.map((event) => event.revision)).toEqual([2n, 3n]);
        const backFromOne = await collect(
          store.readStream(stream('s'), { fromRevision: 1n, direction: 'backwards' }),
        );
        expect(backFromOne.map((event) => event.revision)).toEqual([1n, 0n]);
      });

      it('a missing stream reads as empty', async () => {
        expect(await collect(store.readStream(stream('nothing-here')))).toEqual([]);
      });

      it('readFirstEvents gives the first readable event of each stream that has one', async () => {
        const plain = [anEvent('First'), anEvent('Second')];
        await store.append(stream('plain'), plain, { expectedRevision: 'no_stream' });
        await store.append(stream('deleted'), [anEvent()], { expectedRevision: 'no_stream' });
        await store.deleteStream(stream('deleted'));
        await store.append(
          stream('truncated'),
          Array.from({ length: 3 }, () => anEvent()),
          { expectedRevision: 'no_stream' },
        );
        await store.setStreamMetadata(stream('truncated'), { truncateBefore: 2n });
        const ids = ['plain', 'deleted', 'truncated', 'missing', 'plain'].map(stream);

        const found = await store.readFirstEvents(ids);

        expect([...found.keys()].sort()).toEqual([stream('plain'), stream('truncated')].sort());
        expect(found.get(stream('plain'))).toMatchObject({
          id: plain[0]!.id,
          type: 'First',
          data: plain[0]!.data,
          revision: 0n,
        });
        expect(found.get(stream('truncated'))!.revision).toBe(2n);
        expect((await store.readFirstEvents([])).size).toBe(0);
      });
    });

    describe('readAll', () => {
      it('reads in commit order with strictly increasing positions; fromPosition is exclusive', async () => {
        const start = await store.headPosition();
        const a1 = await store.append(stream('x'), [anEvent()], { expectedRevision: 'no_stream' });
        await store.append(stream('y'), [anEvent(), anEvent()], { expectedRevision: 'no_stream' });
        const a3 = await store.append(stream('x'), [anEvent()], { expectedRevision: 0n });
        const filter = { streamPrefixes: [`${prefix}-`] };
        const all = await collect(store.readAll({ fromPosition: start, filter }));
        expect(all.map((event) => `${event.streamId}@${event.revision}`)).toEqual([
          `${stream('x')}@0`,
          `${stream('y')}@0`,
          `${stream('y')}@1`,
          `${stream('x')}@1`,
        ]);
        expectStrictlyIncreasing(all.map((event) => event.position));
        expect(all[0]!.position).toBe(a1.position);
        expect(all[3]!.position).toBe(a3.position);
        const afterFirst = await collect(store.readAll({ fromPosition: a1.position, filter }));
        expect(afterFirst).toHaveLength(3);
        const limited = await collect(store.readAll({ fromPosition: start, filter, maxCount: 2 }));
        expect(limited).toHaveLength(2);
        expect(await store.headPosition()).toBeGreaterThanOrEqual(a3.position);
      });

      it('tells a position committed after the head (a replaced log) from one at or before it', async () => {
        const first = await store.append(stream('c'), [anEvent()], {
          expectedRevision: 'no_stream',
        });
        const last = await store.append(stream('c'), [anEvent(), anEvent()], {
          expectedRevision: 0n,
        });
        const head = await store.headPosition();
        expect(store.commitsAfter(head, head)).toBe(false);
        expect(store.commitsAfter(first.position, head)).toBe(false);
        expect(store.commitsAfter(last.position, head)).toBe(false);
        expect(store.commitsAfter(last.position, first.position)).toBe(true);
        // The log's end counts the records the port does not show (EventStoreDB's own): at or
        // past the head, never before it.
        const end = await store.logEnd();
        expect(store.commitsAfter(head, end)).toBe(false);
        expect(store.commitsAfter(last.position, end)).toBe(false);
      });

      it('filters by event type', async () => {
        const start = await store.headPosition();
        await store.append(stream('t'), [anEvent('Kept'), anEvent('Dropped'), anEvent('Kept')], {
          expectedRevision: 'no_stream',
        });
        const kept = await collect(
          store.readAll({
            fromPosition: start,
            filter: { streamPrefixes: [`${prefix}-`], eventTypes: ['Kept'] },
          }),
        );
        expect(kept.map((event) => event.revision)).toEqual([0n, 2n]);
      });
    });

    describe('subscribeToAll', () => {
      it('catches up, reports caught up, then goes live with no gap and no duplicate while others append', async () => {
        const start = await store.headPosition();
        const before = Array.from({ length: 30 }, () => anEvent());
        for (const [index, event] of before.entries()) {
          await store.append(stream(`sub${index % 3}`), [event], { expectedRevision: 'any' });
        }
        const subscription = store.subscribeToAll({
          fromPosition: start,
          filter: { streamPrefixes: [`${prefix}-`] },
        });
        const live = Array.from({ length: 60 }, () => anEvent());
        const received: RecordedEvent[] = [];
        let caughtUp = 0;
        const consumer = (async () => {
          for await (const message of subscription) {
            if (message.kind === 'caughtUp') caughtUp += 1;
            else received.push(message.event);
            if (received.length === before.length + live.length) break;
          }
        })();
        await Promise.all(
          [0, 1, 2, 3].map(async (writer) => {
            for (let index = writer; index < live.length; index += 4) {
              await store.append(stream(`live${writer}`), [live[index]!], {
                expectedRevision: 'any',
              });
            }
          }),
        );
        await withTimeout(consumer, 20_000);
        await subscription.close();
        expect(caughtUp).toBe(1);
        expect(received.map((event) => event.id).sort()).toEqual(
          [...before, ...live].map((event) => event.id).sort(),
        );
        expect(new Set(received.map((event) => event.id)).size).toBe(received.length);
        expectStrictlyIncreasing(received.map((event) => event.position));
      });

      it('resumes after a checkpoint: the next event delivered is the one after it', async () => {
        const start = await store.headPosition();
        const results = [];
        for (let index = 0; index < 10; index += 1) {
          results.push(
            await store.append(stream('resume'), [anEvent()], { expectedRevision: 'any' }),
          );
        }
        const checkpoint = results[6]!.position;
        const subscription = store.subscribeToAll({
          fromPosition: checkpoint,
          filter: { streamPrefixes: [`${prefix}-`] },
        });
        const first = await withTimeout(firstEvent(subscription), 10_000);
        await subscription.close();
        expect(first.position).toBe(results[7]!.position);
        expect(first.revision).toBe(7n);
        expect(start).toBeLessThan(checkpoint);
      });

      it('delivers an event appended after caught up without polling', async () => {
        const subscription = store.subscribeToAll({
          fromPosition: await store.headPosition(),
          filter: { streamPrefixes: [`${prefix}-`] },
        });
        const iterator = subscription[Symbol.asyncIterator]();
        const caughtUp = await withTimeout(iterator.next(), 10_000);
        expect((caughtUp.value as SubscriptionMessage).kind).toBe('caughtUp');
        const pending = iterator.next();
        const appended = anEvent();
        await store.append(stream('late'), [appended], { expectedRevision: 'no_stream' });
        const next = await withTimeout(pending, 10_000);
        await subscription.close();
        expect(next.value).toMatchObject({ kind: 'event', event: { id: appended.id } });
      });
    });

    describe('soft delete and stream metadata', () => {
      it('a soft-deleted stream reads as empty and continues after its last revision when written again', async () => {
        await store.append(stream('del'), [anEvent(), anEvent()], {
          expectedRevision: 'no_stream',
        });
        await store.deleteStream(stream('del'));
        expect(await collect(store.readStream(stream('del')))).toEqual([]);
        const again = anEvent();
        const result = await store.append(stream('del'), [again], { expectedRevision: 'any' });
        expect(result.nextExpectedRevision).toBe(2n);
        const read = await collect(store.readStream(stream('del')));
        expect(read.map((event) => [event.id, event.revision])).toEqual([[again.id, 2n]]);
      });

      it('deleting with a wrong expected revision is refused', async () => {
        await store.append(stream('del2'), [anEvent()], { expectedRevision: 'no_stream' });
        const error = await captureError(
          store.deleteStream(stream('del2'), { expectedRevision: 3n }),
        );
        expect(error).toBeInstanceOf(WrongExpectedRevision);
        expect(await collect(store.readStream(stream('del2')))).toHaveLength(1);
      });

      it('stores metadata and honours maxCount and truncateBefore when reading', async () => {
        await store.append(
          stream('meta'),
          Array.from({ length: 6 }, () => anEvent()),
          { expectedRevision: 'no_stream' },
        );
        await store.setStreamMetadata(stream('meta'), { maxCount: 2, owner: 'tests' });
        expect(await store.getStreamMetadata(stream('meta'))).toMatchObject({
          maxCount: 2,
          owner: 'tests',
        });
        const lastTwo = await collect(store.readStream(stream('meta')));
        expect(lastTwo.map((event) => event.revision)).toEqual([4n, 5n]);
        await store.setStreamMetadata(stream('meta'), { truncateBefore: 3n });
        expect(await store.getStreamMetadata(stream('meta'))).toMatchObject({ truncateBefore: 3n });
        const truncated = await collect(store.readStream(stream('meta')));
        expect(truncated.map((event) => event.revision)).toEqual([3n, 4n, 5n]);
        expect(await store.getStreamMetadata(stream('no-meta'))).toEqual({});
      });
    });

    describe('concurrency property', () => {
      it('any interleaving of concurrent appends keeps revisions contiguous and positions strictly increasing', async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(
              fc.record({
                stream: fc.integer({ min: 0, max: 3 }),
                size: fc.integer({ min: 1, max: 3 }),
                optimistic: fc.boolean(),
              }),
              { minLength: 1, maxLength: 25 },
            ),
            fc.scheduler(),
            async (writes, scheduler) => {
              const runPrefix = `prop${randomUUID().replace(/-/g, '').slice(0, 10)}`;
              const start = await store.headPosition();
              const appends = writes.map((write) =>
                scheduler.schedule(Promise.resolve(), 'append').then(async () => {
                  const streamId = `${runPrefix}-${write.stream}`;
                  const events = Array.from({ length: write.size }, () => anEvent());
                  let expectedRevision: ExpectedRevision = 'any';
                  if (write.optimistic) {
                    const last = await lastRevision(store, streamId);
                    expectedRevision = last === undefined ? 'no_stream' : last;
                  }
                  try {
                    await store.append(streamId, events, { expectedRevision });
                    return write.size;
                  } catch (error) {
                    if (error instanceof WrongExpectedRevision) return 0;
                    throw error;
                  }
                }),
              );
              await scheduler.waitAll();
              const written = (await Promise.all(appends)).reduce((sum, size) => sum + size, 0);
              const all = await collect(
                store.readAll({
                  fromPosition: start,
                  filter: { streamPrefixes: [`${runPrefix}-`] },
                }),
              );
              expect(all).toHaveLength(written);
              expectStrictlyIncreasing(all.map((event) => event.position));
              const revisionsByStream = new Map<string, bigint[]>();
              for (const event of all) {
                revisionsByStream.set(event.streamId, [
                  ...(revisionsByStream.get(event.streamId) ?? []),
                  event.revision,
                ]);
              }
              for (const revisions of revisionsByStream.values()) {
                expect(revisions).toEqual(revisions.map((_, index) => BigInt(index)));
              }
            },
          ),
          { numRuns: 15 },
        );
      });
    });
  });
}

export function anEvent(type = 'SomethingHappened', data: Record<string, unknown> = {}): NewEvent {
  return {
    id: randomUUID(),
    type,
    data: { ...data, note: 'conformance' },
    metadata: { workspaceId: 'conformance', occurredAt: 1_700_000_000_000, schemaVersion: 1 },
  };
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

async function lastRevision(store: EventStore, streamId: string): Promise<bigint | undefined> {
  for await (const event of store.readStream(streamId, { direction: 'backwards', maxCount: 1 }))
    return event.revision;
  return undefined;
}

async function firstEvent(iterable: AsyncIterable<SubscriptionMessage>): Promise<RecordedEvent> {
  for await (const message of iterable) if (message.kind === 'event') return message.event;
  throw new Error('subscription ended without an event');
}

async function captureError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to fail');
}

function expectStrictlyIncreasing(values: readonly bigint[]): void {
  values.slice(1).forEach((value, index) => expect(value).toBeGreaterThan(values[index]!));
}

export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

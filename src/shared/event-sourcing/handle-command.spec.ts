import { SqliteEventStore } from '../../infrastructure/event-store/sqlite/sqlite-event-store';
import { WrongExpectedRevision } from '../event-store/event-store.errors';
import type { EventStore } from '../event-store/event-store.port';
import { handleCommand, loadState, type HandleCommandOptions } from './handle-command';
import { counter, counterMetadata as metadata, type CounterEvent } from './counter.test-fixtures';

describe('handleCommand', () => {
  let store: SqliteEventStore;
  beforeEach(() => {
    store = SqliteEventStore.open({ file: ':memory:' });
  });
  afterEach(() => store.close());

  it('folds the stream, decides, and appends with the revision it read', async () => {
    await handleCommand(
      store,
      'counter-1',
      counter,
      { type: 'Increment', by: 2, limit: 10 },
      { metadata },
    );
    const outcome = await handleCommand(
      store,
      'counter-1',
      counter,
      { type: 'Increment', by: 3, limit: 10 },
      { metadata },
    );
    expect(outcome.state).toBe(5);
    expect(outcome.position).toBeDefined();
    expect(await loadState(store, 'counter-1', counter)).toEqual({ state: 5, revision: 1n });
  });

  it('records nothing and reports no position when the decider returns no events', async () => {
    const outcome = await handleCommand(
      store,
      'counter-2',
      counter,
      { type: 'Increment', by: 0, limit: 10 },
      { metadata },
    );
    expect(outcome).toEqual({ events: [], state: 0, position: undefined });
  });

  it('reads only past the fold it knows, and still sees what another process wrote since', async () => {
    const increment = (by: EventStore, amount: number) =>
      handleCommand(
        by,
        'counter-5',
        counter,
        { type: 'Increment', by: amount, limit: 10 },
        {
          metadata,
        },
      );
    for (let index = 0; index < 5; index += 1) await increment(store, 1);
    const read = store.readStream.bind(store);
    const eventsRead: bigint[] = [];
    store.readStream = async function* (streamId, options) {
      for await (const event of read(streamId, options)) {
        eventsRead.push(event.revision);
        yield event;
      }
    };
    expect(await loadState(store, 'counter-5', counter)).toEqual({ state: 5, revision: 4n });
    expect(eventsRead).toEqual([]);
    // Another process (another view of the store, with a cache of its own) writes twice.
    const other = Object.create(store) as EventStore;
    await increment(other, 2);
    await increment(other, 1);
    eventsRead.length = 0;
    expect(await loadState(store, 'counter-5', counter)).toEqual({ state: 8, revision: 6n });
    expect(eventsRead).toEqual([5n, 6n]);
  });

  it('re-reads and re-decides after a concurrent write by another process, so the invariant holds', async () => {
    // Each view of the store stands for another process: it has its own writers and fold cache.
    const processes = [
      store,
      Object.create(store) as EventStore,
      Object.create(store) as EventStore,
    ];
    const appends = processes.map((process) => {
      const append = process.append.bind(process);
      const calls: number[] = [];
      process.append = (...args) => {
        calls.push(1);
        return append(...args);
      };
      return calls;
    });
    const results = await Promise.allSettled(
      processes.map((process) =>
        handleCommand(
          process,
          'counter-3',
          counter,
          { type: 'Increment', by: 4, limit: 10 },
          { metadata },
        ),
      ),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(2);
    expect((await loadState(store, 'counter-3', counter)).state).toBe(8);
    // The race happened: some process appended more than once.
    expect(appends.some((calls) => calls.length > 1)).toBe(true);
  });

  it("runs one process's concurrent commands on a stream one at a time, so none gives up", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        handleCommand(
          store,
          'counter-5',
          counter,
          { type: 'Increment', by: 1, limit: 100 },
          { metadata, maxAttempts: 1 },
        ),
      ),
    );
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    expect(await loadState(store, 'counter-5', counter)).toEqual({ state: 20, revision: 19n });
  });

  it('gives up with WrongExpectedRevision after the bounded number of attempts', async () => {
    const racing: EventStore = Object.create(store) as EventStore;
    racing.append = () => Promise.reject(new WrongExpectedRevision('counter-4', 'no_stream', 0n));
    await expect(
      handleCommand(
        racing,
        'counter-4',
        counter,
        { type: 'Increment', by: 1, limit: 10 },
        { metadata, maxAttempts: 3 },
      ),
    ).rejects.toBeInstanceOf(WrongExpectedRevision);
  });

  it('decides a new stream without reading it, and reads after all when the stream exists', async () => {
    const reads: string[] = [];
    const readStream = store.readStream.bind(store);
    store.readStream = (streamId, options) => {
      reads.push(streamId);
      return readStream(streamId, options);
    };
    const increment = { type: 'Increment', by: 2, limit: 3 } as const;
    const created = await handleCommand(store, 'counter-n', counter, increment, {
      metadata,
      newStream: true,
    });
    expect(created.state).toBe(2);
    expect(reads).toEqual([]);

    // Wrongly taken as new: the store refuses the append, the next attempt reads and refuses.
    await expect(
      handleCommand(store, 'counter-n', counter, increment, { metadata, newStream: true }),
    ).rejects.toThrow('over the limit');
    expect(reads).toEqual(['counter-n']);
    expect(await loadState(store, 'counter-n', counter)).toEqual({ state: 2, revision: 0n });
  });

  it('uses the given deterministic event ids', async () => {
    await handleCommand(
      store,
      'counter-5',
      counter,
      { type: 'Increment', by: 1, limit: 10 },
      {
        metadata,
        eventId: (_event, index) => `00000000-0000-4000-8000-00000000000${index}`,
      },
    );
    const ids = [];
    for await (const event of store.readStream('counter-5')) ids.push(event.id);
    expect(ids).toEqual(['00000000-0000-4000-8000-000000000000']);
  });

  it("records an event with the metadata metadataOf gives it, the command's otherwise", async () => {
    const datedByItsAmount = {
      metadata,
      metadataOf: (event: CounterEvent, given: typeof metadata) =>
        event.data.by > 1 ? { ...given, occurredAt: event.data.by * 1000 } : given,
    };
    for (const by of [1, 3])
      await handleCommand(
        store,
        'counter-6',
        counter,
        { type: 'Increment', by, limit: 10 },
        datedByItsAmount,
      );
    const times = [];
    for await (const event of store.readStream('counter-6')) times.push(event.metadata.occurredAt);
    expect(times).toEqual([0, 3000]);
  });

  /** Adds `by` to the counter on `streamId` (limit 10) through `target`. */
  const increment = (
    target: EventStore,
    streamId: string,
    by: number,
    options: Omit<HandleCommandOptions<CounterEvent, number>, 'metadata'> = {},
  ) =>
    handleCommand(
      target,
      streamId,
      counter,
      { type: 'Increment', by, limit: 10 },
      {
        metadata,
        ...options,
      },
    );

  it('prepares on the state each attempt decides on, undoes a lost attempt and settles the winner', async () => {
    const other = Object.create(store) as EventStore;
    await increment(store, 'counter-6', 1);
    const log: string[] = [];
    let raced = false;
    const outcome = await increment(store, 'counter-6', 2, {
      prepare: async (decidedOn) => {
        log.push(`prepare ${decidedOn}`);
        if (!raced) {
          raced = true;
          // Another process writes between this decision and its append.
          await increment(other, 'counter-6', 4);
        }
        return {
          undo: () => Promise.resolve(void log.push(`undo ${decidedOn}`)),
          done: () => Promise.resolve(void log.push(`done ${decidedOn}`)),
        };
      },
    });
    expect(log).toEqual(['prepare 1', 'undo 1', 'prepare 5', 'done 5']);
    expect(outcome.state).toBe(7);
  });

  it('prepares nothing for a command that records nothing, and lets a failed prepare stop the append', async () => {
    const prepared: number[] = [];
    await increment(store, 'counter-7', 0, {
      prepare: (decidedOn) => Promise.resolve(void prepared.push(decidedOn)),
    });
    expect(prepared).toEqual([]);
    await expect(
      increment(store, 'counter-7', 1, { prepare: () => Promise.reject(new Error('taken')) }),
    ).rejects.toThrow('taken');
    expect(await loadState(store, 'counter-7', counter)).toEqual({ state: 0, revision: undefined });
  });
});

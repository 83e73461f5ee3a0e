import { SqliteEventStore } from '../../infrastructure/event-store/sqlite/sqlite-event-store';
import { handleCommand } from './handle-command';
import { StreamStateCache, streamStateCacheOf } from './stream-state-cache';
import { counter, counterMetadata as metadata, type CounterCommand } from './counter.test-fixtures';

const increment = (by: number, limit = 100): CounterCommand => ({ type: 'Increment', by, limit });

/** Appends as another writer would: behind the cache's back. */
const appendElsewhere = (store: SqliteEventStore, streamId: string, by: number) =>
  store.append(
    streamId,
    [{ id: crypto.randomUUID(), type: 'Incremented', data: { by }, metadata }],
    { expectedRevision: 'any' },
  );

describe('StreamStateCache', () => {
  it('evicts the least recently used entry beyond its bound', () => {
    const cache = new StreamStateCache(2);
    const entry = (revision: bigint) => ({ state: 0, revision, eventIds: new Set<string>() });
    cache.set('a', counter, entry(0n));
    cache.set('b', counter, entry(0n));
    cache.get('a', counter);
    cache.set('c', counter, entry(0n));
    expect(cache.get('b', counter)).toBeUndefined();
    expect(cache.get('a', counter)).toBeDefined();
    expect(cache.get('c', counter)).toBeDefined();
  });

  it('keeps a newer fold when an older one arrives late, and never mixes folds', () => {
    const cache = new StreamStateCache();
    cache.set('a', counter, { state: 5, revision: 3n, eventIds: new Set<string>() });
    cache.set('a', counter, { state: 2, revision: 1n, eventIds: new Set<string>() });
    expect(cache.get<number>('a', counter)?.state).toBe(5);
    expect(cache.get('a', {})).toBeUndefined();
  });
});

describe('handleCommand with the stream state cache', () => {
  let store: SqliteEventStore;
  beforeEach(() => {
    store = SqliteEventStore.open({ file: ':memory:' });
  });
  afterEach(() => store.close());

  it('decides the next command on the cached fold without reading the stream', async () => {
    await handleCommand(store, 'counter-1', counter, increment(2), { metadata });
    const reads = jest.spyOn(store, 'readStream');
    const outcome = await handleCommand(store, 'counter-1', counter, increment(3), { metadata });
    expect(outcome.state).toBe(5);
    expect(reads).not.toHaveBeenCalled();
    expect(streamStateCacheOf(store).get('counter-1', counter)).toMatchObject({
      state: 5,
      revision: 1n,
    });
  });

  it('detects a write the cache did not see, drops the entry and retries on a fresh read', async () => {
    await handleCommand(store, 'counter-2', counter, increment(2), { metadata });
    await appendElsewhere(store, 'counter-2', 10);
    const appends = jest.spyOn(store, 'append');
    const outcome = await handleCommand(store, 'counter-2', counter, increment(3), { metadata });
    expect(outcome.state).toBe(15);
    expect(appends).toHaveBeenCalledTimes(2);
    expect(streamStateCacheOf(store).get('counter-2', counter)).toMatchObject({
      state: 15,
      revision: 2n,
    });
  });

  it('does not refuse on a stale cached fold: the refusal is decided again on a fresh read', async () => {
    await handleCommand(store, 'counter-3', counter, increment(8, 10), { metadata });
    // Another writer brought the counter down; the cached fold still says 8.
    await appendElsewhere(store, 'counter-3', -8);
    const outcome = await handleCommand(store, 'counter-3', counter, increment(5, 10), {
      metadata,
    });
    expect(outcome.state).toBe(5);
  });

  it('still refuses when the fresh read agrees', async () => {
    await handleCommand(store, 'counter-4', counter, increment(8, 10), { metadata });
    await expect(
      handleCommand(store, 'counter-4', counter, increment(5, 10), { metadata }),
    ).rejects.toThrow('over the limit');
  });

  it('starts cold for another store object', async () => {
    await handleCommand(store, 'counter-5', counter, increment(1), { metadata });
    const other = SqliteEventStore.open({ file: ':memory:' });
    try {
      expect(streamStateCacheOf(other).get('counter-5', counter)).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});

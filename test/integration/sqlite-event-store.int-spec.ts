import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite/sqlite-event-store';
import {
  DataDirectoryLocked,
  WrongExpectedRevision,
} from '../../src/shared/event-store/event-store.errors';
import { anEvent, collect, describeEventStoreConformance } from './event-store.conformance';

describeEventStoreConformance('embedded SQLite', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'es-conformance-'));
  const store = SqliteEventStore.open({ dataDir });
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});

describe('embedded SQLite event store', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'es-sqlite-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('commits concurrent appends together (group commit) and each keeps its own expected-revision check', async () => {
    const store = SqliteEventStore.open({ dataDir });
    await store.append('g-0', [anEvent()], { expectedRevision: 'no_stream' });
    const outcomes = await Promise.allSettled([
      store.append('g-0', [anEvent()], { expectedRevision: 0n }),
      store.append('g-0', [anEvent()], { expectedRevision: 0n }),
      store.append('g-1', [anEvent()], { expectedRevision: 'no_stream' }),
      store.append('g-2', [anEvent()], { expectedRevision: 'stream_exists' }),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
    ]);
    expect(await collect(store.readStream('g-0'))).toHaveLength(2);
    await store.close();
  });

  it('shows a commit to subscribers and headPosition only once its log sync has finished', async () => {
    const store = SqliteEventStore.open({ dataDir });
    await store.append('durable-0', [anEvent()], { expectedRevision: 'no_stream' });
    const headBefore = await store.headPosition();
    const appended = store.append('durable-1', [anEvent()], { expectedRevision: 'no_stream' });
    // The store's flush was scheduled first, so this runs after the commit is written and before
    // the sync's completion (which arrives in a later phase of the event loop).
    await new Promise((resolve) => setImmediate(resolve));
    expect(await collect(store.readStream('durable-1'))).toHaveLength(1);
    expect(await store.headPosition()).toBe(headBefore);
    expect(await collect(store.readAll({ fromPosition: headBefore }))).toEqual([]);
    const { position } = await appended;
    expect(await store.headPosition()).toBe(position);
    expect(
      (await collect(store.readAll({ fromPosition: headBefore }))).map((e) => e.streamId),
    ).toEqual(['durable-1']);
    await store.close();
  });

  it('shows the new events of a group commit that also answered a retry with its earlier position', async () => {
    const store = SqliteEventStore.open({ dataDir });
    const retried = [anEvent()];
    await store.append('retried-0', retried, { expectedRevision: 'no_stream' });
    const headBefore = await store.headPosition();
    // One group commit: a new event, then a retry answered from the log without writing.
    const [appended] = await Promise.all([
      store.append('fresh-0', [anEvent()], { expectedRevision: 'no_stream' }),
      store.append('retried-0', retried, { expectedRevision: 'no_stream' }),
    ]);
    expect(await store.headPosition()).toBe(appended.position);
    expect(
      (await collect(store.readAll({ fromPosition: headBefore }))).map((e) => e.streamId),
    ).toEqual(['fresh-0']);
    await store.close();
  });

  it('writes nothing of an append whose event cannot be stored, and the stream goes on from its head', async () => {
    const store = SqliteEventStore.open({ dataDir });
    await store.append('partial-0', [anEvent()], { expectedRevision: 'no_stream' });
    const unstorable = anEvent('Unstorable', { amount: 1n });
    await expect(
      store.append('partial-0', [anEvent(), unstorable], { expectedRevision: 0n }),
    ).rejects.toThrow(TypeError);
    expect(await collect(store.readStream('partial-0'))).toHaveLength(1);
    await store.append('partial-0', [anEvent()], { expectedRevision: 0n });
    expect((await collect(store.readStream('partial-0'))).map((e) => e.revision)).toEqual([0n, 1n]);
    await store.close();
  });

  it('appends to a stream deleted after its last append as to a new stream', async () => {
    const store = SqliteEventStore.open({ dataDir });
    await store.append('deleted-0', [anEvent()], { expectedRevision: 'no_stream' });
    await store.deleteStream('deleted-0');
    await expect(store.append('deleted-0', [anEvent()], { expectedRevision: 0n })).rejects.toThrow(
      WrongExpectedRevision,
    );
    await store.append('deleted-0', [anEvent()], { expectedRevision: 'no_stream' });
    await store.append('deleted-0', [anEvent()], { expectedRevision: 1n });
    expect((await collect(store.readStream('deleted-0'))).map((e) => e.revision)).toEqual([1n, 2n]);
    await store.close();
  });

  it('keeps acknowledged events across a reopen', async () => {
    const first = SqliteEventStore.open({ dataDir });
    const event = anEvent();
    await first.append('reopen-1', [event], { expectedRevision: 'no_stream' });
    await first.close();
    const second = SqliteEventStore.open({ dataDir });
    const read = await collect(second.readStream('reopen-1'));
    expect(read.map((recorded) => recorded.id)).toEqual([event.id]);
    await second.close();
  });

  it('refuses a second opener of the same data directory with a clear message', () => {
    const store = SqliteEventStore.open({ dataDir });
    let error: unknown;
    try {
      SqliteEventStore.open({ dataDir });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DataDirectoryLocked);
    expect((error as Error).message).toContain(dataDir);
    expect((error as Error).message).toContain('in use by another process');
    return store.close();
  });
});

import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type KyselyPlugin } from 'kysely';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite/sqlite-event-store';
import type { ReadStore, ReadStoreDialect } from '../../src/infrastructure/read-store/read-store';
import { nextBuild, ProjectionRegistry } from '../../src/projection-runner/projection-registry';
import {
  ProjectionRunner,
  type ProjectionRunnerOptions,
  type ProjectionStatus,
} from '../../src/projection-runner/projection-runner';
import type {
  AllSubscription,
  EventStore,
  NewEvent,
  ReadAllOptions,
  RecordedEvent,
} from '../../src/shared/event-store/event-store.port';
import { EventStoreUnavailable } from '../../src/shared/event-store/event-store.errors';
import { eventually, gate } from '../support/eventually';
import {
  describeOnReadStores,
  openTestReadStore,
  type TestReadStore,
} from '../support/read-store-targets';
import {
  streamCounterProjection,
  type StreamCounterHooks,
  type StreamCounterTables,
} from '../support/stream-counter.projection';

const FAST: ProjectionRunnerOptions = {
  batchSize: 100,
  maxAttempts: 3,
  retryBaseDelayMs: 1,
  retryMaxDelayMs: 5,
  standbyPollMs: 50,
};

function thing(type = 'ThingHappened'): NewEvent {
  return {
    id: randomUUID(),
    type,
    data: {},
    metadata: { workspaceId: 'w1', occurredAt: Date.now() },
  };
}

async function append(
  events: EventStore,
  stream: string,
  count: number,
  type = 'ThingHappened',
): Promise<bigint> {
  const result = await events.append(
    stream,
    Array.from({ length: count }, () => thing(type)),
    { expectedRevision: 'any' },
  );
  return result.position;
}

async function allEvents(events: EventStore): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for await (const event of events.readAll()) all.push(event);
  return all;
}

/** `store`, recording where each filtered read of `$all` starts (the runner's search for an unapplied event). */
function recordingFilteredReads(store: EventStore, starts: bigint[]): EventStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'readAll')
        return (options?: ReadAllOptions) => {
          if (options?.filter) starts.push(options.fromPosition ?? 0n);
          return target.readAll(options);
        };
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

type AnyRow = Record<string, unknown>;

/** Reads physical tables through another read store (the runner's may be inside a transaction). */
function rawDb(store: ReadStore): Kysely<Record<string, AnyRow>> {
  return store.db as Kysely<Record<string, AnyRow>>;
}

async function counts(runner: ProjectionRunner): Promise<Record<string, number>> {
  const rows = await runner
    .queryDb<StreamCounterTables>('stream_counter')
    .selectFrom('stream_counter')
    .selectAll()
    .execute();
  return Object.fromEntries(rows.map((row) => [row.stream_id, Number(row.events)]));
}

async function applications(runner: ProjectionRunner): Promise<number[]> {
  const rows = await runner
    .queryDb<StreamCounterTables>('stream_counter')
    .selectFrom('stream_counter_applied')
    .select('applications')
    .execute();
  return rows.map((row) => Number(row.applications));
}

async function statusOf(runner: ProjectionRunner): Promise<ProjectionStatus> {
  const [status] = await runner.status();
  if (status === undefined) throw new Error('no status');
  return status;
}

describeOnReadStores('ProjectionRunner', (dialect: ReadStoreDialect) => {
  let events: SqliteEventStore;
  let readStore: TestReadStore;
  const runners: ProjectionRunner[] = [];
  const gates: Array<{ open(): void }> = [];

  function runnerWith(
    hooks: StreamCounterHooks = {},
    options: ProjectionRunnerOptions = {},
    store: ReadStore = readStore.store,
  ) {
    const runner = new ProjectionRunner(events, store, [streamCounterProjection({ hooks })], {
      ...FAST,
      ...options,
    });
    runners.push(runner);
    return runner;
  }

  beforeEach(async () => {
    events = SqliteEventStore.open({ file: ':memory:' });
    readStore = await openTestReadStore(dialect);
  });

  afterEach(async () => {
    for (const held of gates.splice(0)) held.open();
    for (const runner of runners.splice(0)) await runner.stop();
    await readStore.dispose();
    await events.close();
  });

  it('catches up on history, then applies live events', async () => {
    await append(events, 'thing-a', 3);
    await append(events, 'thing-b', 2);
    await append(events, 'other-x', 2, 'NotCounted');
    const runner = runnerWith();
    await runner.start();

    expect(await runner.waitFor(await events.headPosition(), 5000)).toBe(true);
    expect(await counts(runner)).toEqual({ 'thing-a': 3, 'thing-b': 2 });
    const caughtUp = await eventually(async () => {
      const status = await statusOf(runner);
      return status.state === 'live' ? status : undefined;
    });
    expect(caughtUp).toMatchObject({
      version: 1,
      build: 'v1',
      checkpoint: 7n,
      headPosition: 7n,
      lagPositions: 0n,
      lagSeconds: 0,
    });

    const live = await append(events, 'thing-a', 2);
    expect(await runner.waitFor(live, 5000)).toBe(true);
    expect(await counts(runner)).toEqual({ 'thing-a': 5, 'thing-b': 2 });
    expect((await statusOf(runner)).checkpoint).toBe(live);
  });

  it('refuses to run a build past the end of a replaced event store, until a rebuild replaces it', async () => {
    await append(events, 'thing-old', 6);
    const first = runnerWith();
    await first.start();
    expect(await first.waitFor(await events.headPosition(), 5000)).toBe(true);
    await first.stop();

    // The store restored from an older copy: its log ends before the read model's checkpoint.
    await events.close();
    events = SqliteEventStore.open({ file: ':memory:' });
    await append(events, 'thing-new', 2);
    await expect(runnerWith().start()).rejects.toMatchObject({
      name: 'EventLogBehindCheckpoint',
      checkpoint: 6n,
      head: 2n,
    });
    const restarted = runnerWith({}, { startPastTheLog: true });
    await restarted.start();
    const refused = await statusOf(restarted);
    expect(refused.state).toBe('failed');
    expect(refused.error).toContain('past its end');
    expect(await restarted.waitFor(await events.headPosition(), 200)).toBe(false);

    await restarted.rebuild('stream_counter');
    expect((await statusOf(restarted)).state).not.toBe('failed');
    expect(await restarted.waitFor(await events.headPosition(), 5000)).toBe(true);
    expect(await counts(restarted)).toEqual({ 'thing-new': 2 });
  });

  it('starts again at the next poll when its start failed for a passing reason (a dropped connection), and shows live', async () => {
    const head = await append(events, 'thing-a', 2);
    let failures = 0;
    const runner = runnerWith({
      afterMigration: () => {
        if (failures > 0) return;
        failures += 1;
        throw new Error('Connection terminated unexpectedly');
      },
    });
    await runner.start();
    expect(await statusOf(runner)).toMatchObject({
      state: 'failed',
      error: 'Connection terminated unexpectedly',
    });

    await eventually(async () => ((await statusOf(runner)).state === 'live' ? true : undefined));
    expect(await statusOf(runner)).toMatchObject({ error: undefined });
    expect(await runner.waitFor(head, 5000)).toBe(true);
    expect(await counts(runner)).toEqual({ 'thing-a': 2 });
  });

  it('stops as failed, saying so, when the event store is damaged, instead of resubscribing for ever', async () => {
    await append(events, 'thing-a', 2);
    // The store's file broken under it: every read of the log fails as SQLite reports it.
    const damaged = new Proxy(events, {
      get(target, property) {
        if (property === 'subscribeToAll') {
          return (): AllSubscription => ({
            close: () => Promise.resolve(),
            [Symbol.asyncIterator]: () => ({
              next: () =>
                Promise.reject(
                  Object.assign(new Error('database disk image is malformed'), {
                    code: 'SQLITE_CORRUPT',
                  }),
                ),
            }),
          });
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
    const runner = new ProjectionRunner(
      damaged,
      readStore.store,
      [streamCounterProjection()],
      FAST,
    );
    runners.push(runner);
    await runner.start();
    const failed = await eventually(async () => {
      const status = await statusOf(runner);
      return status.state === 'failed' ? status : undefined;
    });
    expect(failed.failure).toMatchObject({
      eventId: undefined,
      error: expect.stringContaining('database disk image is malformed') as unknown,
    });
  });

  it('takes a checkpoint at a record past the last event the head shows (EventStoreDB system records) for one within the log', async () => {
    await append(events, 'thing-1', 3);
    const log = events;
    // The head the port shows ends one record before the log's end, as EventStoreDB's does when
    // system records follow the last event: a subscription's checkpoint may be at one of them.
    const headBeforeTheEnd = new Proxy(log, {
      get: (target, key: keyof EventStore) =>
        key === 'headPosition'
          ? async () => (await target.headPosition()) - 1n
          : (target[key] as () => unknown).bind(target),
    });
    const runner = new ProjectionRunner(
      headBeforeTheEnd,
      readStore.store,
      [streamCounterProjection()],
      FAST,
    );
    runners.push(runner);
    await runner.start();
    expect(await runner.waitFor(await headBeforeTheEnd.headPosition(), 5000)).toBe(true);
    const [status] = await runner.status();
    expect(status).toMatchObject({ state: 'live', checkpoint: 3n, error: undefined });
  });

  it('lets the event loop turn between the batches of a catch-up, so requests are answered during a replay', async () => {
    for (let stream = 0; stream < 10; stream += 1) await append(events, `thing-${stream}`, 100);
    const runner = runnerWith({}, { batchSize: 50 });
    // Timers only fire when the loop turns: count the turns while the 20 batches are applied.
    let turns = 0;
    const ticking = setInterval(() => (turns += 1), 0);
    try {
      await runner.start();
      expect(await runner.waitFor(await events.headPosition(), 10_000)).toBe(true);
    } finally {
      clearInterval(ticking);
    }
    expect(turns).toBeGreaterThanOrEqual(10);
  });

  it('answers reads while a batch is being applied: the committed rows, without waiting for its transaction', async () => {
    const caughtUp = await append(events, 'thing-a', 2);
    const applying = gate();
    const release = gate();
    gates.push(release);
    let holding = false;
    const runner = runnerWith({
      afterEvent: async () => {
        if (!holding) return;
        applying.open();
        await release.opened;
      },
    });
    await runner.start();
    expect(await runner.waitFor(caughtUp, 5000)).toBe(true);

    holding = true;
    const live = await append(events, 'thing-a', 1);
    await applying.opened;
    // The batch has written its row inside its open transaction: reads see what was committed.
    expect(await counts(runner)).toEqual({ 'thing-a': 2 });

    release.open();
    expect(await runner.waitFor(live, 5000)).toBe(true);
    expect(await counts(runner)).toEqual({ 'thing-a': 3 });
  });

  it('commits a batch and its checkpoint in one transaction: a failure mid-batch leaves no rows and the checkpoint unchanged', async () => {
    // One append, so catch-up delivers the five events as one batch.
    const head = await append(events, 'thing-a', 5);
    const [, , third] = await allEvents(events);
    const observer = await readStore.openAnother();
    const retried = gate();
    const release = gate();
    gates.push(release);
    let failedBatch: readonly RecordedEvent[] | undefined;
    let current: readonly RecordedEvent[] = [];
    const runner = runnerWith({
      beforeApply: async (batch) => {
        current = batch;
        if (failedBatch !== undefined) {
          retried.open();
          await release.opened;
        }
      },
      afterEvent: (event) => {
        if (event.id === third?.id && failedBatch === undefined) {
          failedBatch = current;
          throw new Error('injected mid-batch failure');
        }
      },
    });
    await runner.start();

    await retried.opened;
    // The failed batch had written rows for the events before the third one when it threw.
    expect(failedBatch?.map((event) => event.id).indexOf(third?.id ?? '')).toBeGreaterThan(0);
    const failedIds = new Set(failedBatch?.map((event) => event.id));
    const firstFailed = failedBatch?.[0]?.position ?? 0n;
    const tables = runner.tables<StreamCounterTables>('stream_counter');
    const db = rawDb(observer);
    const applied = await db
      .selectFrom(tables('stream_counter_applied'))
      .select('event_id')
      .execute();
    expect(applied.filter((row) => failedIds.has(String(row.event_id)))).toEqual([]);
    const counted = await db.selectFrom(tables('stream_counter')).select('events').execute();
    expect(counted.reduce((sum, row) => sum + Number(row.events), 0)).toBe(applied.length);
    const checkpoints = await db.selectFrom('projection_checkpoints').select('position').execute();
    // The checkpoint did not move into the failed batch (no row at all when it was the first batch).
    for (const row of checkpoints) expect(BigInt(String(row.position))).toBeLessThan(firstFailed);

    release.open();
    expect(await runner.waitFor(head, 5000)).toBe(true);
    expect(await counts(runner)).toEqual({ 'thing-a': 5 });
    expect(await applications(runner)).toEqual([1, 1, 1, 1, 1]);
  });

  it('retries a poison event with backoff, then stops as failed with the event id and error', async () => {
    await append(events, 'thing-a', 1);
    await append(events, 'thing-poison', 1);
    const head = await append(events, 'thing-a', 1);
    const [first, poison] = await allEvents(events);
    let poisonAttempts = 0;
    const runner = runnerWith({
      afterEvent: (event) => {
        if (event.id === poison?.id) {
          poisonAttempts += 1;
          throw new Error('cannot apply this one');
        }
      },
    });
    await runner.start();

    const status = await eventually(async () => {
      const current = await statusOf(runner);
      return current.state === 'failed' ? current : undefined;
    });
    expect(status.failure).toMatchObject({
      eventId: poison?.id,
      eventType: 'ThingHappened',
      position: poison?.position,
      error: 'cannot apply this one',
      attempts: 3,
    });
    // Three times alone (plus once within its batch when catch-up delivered it with others).
    expect(poisonAttempts).toBeGreaterThanOrEqual(3);
    expect(status.checkpoint).toBe(first?.position);
    expect(await counts(runner)).toEqual({ 'thing-a': 1 });
    expect(await runner.waitFor(head, 2000)).toBe(false);
  });

  it.each([
    [
      'the event store',
      () => new EventStoreUnavailable('EventStoreDB unavailable: 14 UNAVAILABLE'),
    ],
    [
      'PostgreSQL',
      () =>
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    ],
  ])(
    'waits out %s unreachable under an event it applies, however long, instead of failing the projection on it',
    async (_store, unreachable) => {
      await append(events, 'thing-a', 1);
      // A process manager's apply appends to the log: here through a store that is down a while.
      let down = true;
      let refused = 0;
      const completions = new Proxy(events, {
        get(target, property) {
          if (property === 'append' && down)
            return () => {
              refused += 1;
              return Promise.reject(unreachable());
            };
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
        },
      });
      const runner = runnerWith({
        afterEvent: async (event) => {
          await completions.append(`completion-${event.id}`, [thing('NotCounted')], {
            expectedRevision: 'any',
          });
        },
      });
      await runner.start();

      // Far more refusals than a poison event's attempts (3).
      await eventually(() => (refused >= 12 ? true : undefined), 5000, 'appends to be refused');
      expect(await statusOf(runner)).toMatchObject({ state: 'catching_up', failure: undefined });

      down = false;
      expect(await runner.waitFor(await events.headPosition(), 5000)).toBe(true);
      expect(await statusOf(runner)).toMatchObject({ state: 'live', failure: undefined });
      expect(await counts(runner)).toEqual({ 'thing-a': 1 });
      expect(await applications(runner)).toEqual([1]);
    },
  );

  it('waitFor resolves once an appended event is applied, and returns false on timeout', async () => {
    const runner = runnerWith();
    await runner.start();

    const position = await append(events, 'thing-a', 1);
    expect(await runner.waitFor(position, 5000)).toBe(true);
    expect(await counts(runner)).toEqual({ 'thing-a': 1 });

    // An event the projection does not handle counts as passed as soon as nothing handled precedes it.
    const unrelated = await append(events, 'other-x', 1, 'NotCounted');
    expect(await runner.waitFor(unrelated, 5000)).toBe(true);

    const started = Date.now();
    expect(await runner.waitFor(unrelated + 10n, 150)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('checks whether it has passed a position by reading the log written since the last check, not every unhandled event since its checkpoint again', async () => {
    await append(events, 'thing-a', 1);
    const scanStarts: bigint[] = [];
    const runner = new ProjectionRunner(
      recordingFilteredReads(events, scanStarts),
      readStore.store,
      [streamCounterProjection()],
      FAST,
    );
    runners.push(runner);
    await runner.start();
    expect(await runner.waitFor(await events.headPosition(), 5000)).toBe(true);
    const { checkpoint } = await statusOf(runner);

    // Its checkpoint moves with the events it applies: none of these.
    let checkedThrough = await append(events, 'other-x', 1000, 'NotCounted');
    expect(await statusOf(runner)).toMatchObject({ checkpoint, lagPositions: 0n });
    for (let round = 0; round < 3; round += 1) {
      scanStarts.length = 0;
      const position = await append(events, 'other-x', 1, 'NotCounted');
      expect(await statusOf(runner)).toMatchObject({ checkpoint, lagPositions: 0n });
      expect(await runner.waitFor(position, 5000)).toBe(true);
      // Positions count events here: a scan from `start` reads every event after it.
      expect(scanStarts.filter((start) => start < checkedThrough)).toEqual([]);
      checkedThrough = position;
    }
  });

  it('does not count as passed a position a handled event below it is still waiting for, when earlier checks found the log before it quiet', async () => {
    await append(events, 'thing-a', 1);
    const applying = gate();
    const release = gate();
    gates.push(release);
    let holding = false;
    const runner = runnerWith({
      beforeApply: async () => {
        if (!holding) return;
        applying.open();
        await release.opened;
      },
    });
    await runner.start();
    expect(await runner.waitFor(await events.headPosition(), 5000)).toBe(true);
    const quiet = await append(events, 'other-x', 50, 'NotCounted');
    expect(await runner.waitFor(quiet, 5000)).toBe(true);
    expect(await statusOf(runner)).toMatchObject({ lagPositions: 0n });

    holding = true;
    const handled = await append(events, 'thing-a', 1);
    const after = await append(events, 'other-x', 1, 'NotCounted');
    await applying.opened;
    expect(await runner.waitFor(quiet, 0)).toBe(true);
    expect(await runner.waitFor(handled - 1n, 0)).toBe(true);
    expect(await runner.waitFor(handled, 0)).toBe(false);
    expect(await runner.waitFor(after, 0)).toBe(false);
    const waiting = await statusOf(runner);
    expect(waiting.lagPositions).toBe(after - waiting.checkpoint);
    expect((await runner.catchUp(['stream_counter'], after))[0]?.lagEvents).toBeGreaterThan(0n);

    release.open();
    expect(await runner.waitFor(after, 5000)).toBe(true);
    expect(await counts(runner)).toEqual(expect.objectContaining({ 'thing-a': 2 }));
  });

  it('resumes from its checkpoint after a restart without applying any event twice', async () => {
    await append(events, 'thing-a', 3);
    const first = runnerWith();
    await first.start();
    expect(await first.waitFor(await events.headPosition(), 5000)).toBe(true);
    await first.stop();

    const head = await append(events, 'thing-a', 2);
    const delivered: string[] = [];
    const second = runnerWith({
      beforeApply: (batch) => void delivered.push(...batch.map((event) => event.id)),
    });
    await second.start();
    expect(await second.waitFor(head, 5000)).toBe(true);

    expect(delivered).toHaveLength(2);
    expect(await counts(second)).toEqual({ 'thing-a': 5 });
    expect(await applications(second)).toEqual([1, 1, 1, 1, 1]);
  });

  it('rebuilds a new version into fresh tables while the old one serves, then switches atomically and drops the old tables after a grace period', async () => {
    await append(events, 'thing-a', 3);
    const v1 = runnerWith();
    await v1.start();
    expect(await v1.waitFor(await events.headPosition(), 5000)).toBe(true);
    await v1.stop();

    // v2 is held by failing (and retrying) until `hold` opens: a gate inside its transaction would
    // also hold SQLite's single read-store connection, and v1 must keep committing meanwhile.
    const hold = gate();
    gates.push(hold);
    let holding = true;
    void hold.opened.then(() => (holding = false));
    const building = gate();
    const v2 = streamCounterProjection({
      version: 2,
      withNotes: true,
      hooks: {
        beforeApply: () => {
          building.open();
          if (holding) throw new Error('held by the test');
        },
      },
    });
    const runner = new ProjectionRunner(
      events,
      readStore.store,
      [streamCounterProjection({ version: 1 }), v2],
      {
        ...FAST,
        maxAttempts: 1_000_000,
        retiredBuildGraceMs: 300,
      },
    );
    runners.push(runner);
    await runner.start();
    await building.opened;

    const BOTH_BUILDS = [
      'stream_counter_v1',
      'stream_counter_applied_v1',
      'stream_counter_v2',
      'stream_counter_applied_v2',
    ];
    // v2 is held mid-build; v1 keeps serving, including events appended meanwhile.
    expect(await statusOf(runner)).toMatchObject({
      state: 'rebuilding',
      version: 1,
      build: 'v1',
      rebuild: { version: 2, build: 'v2' },
    });
    // A table only the new version has is not there to read until it serves.
    expect(runner.readsTable('stream_counter', 'stream_counter_notes')).toBe(false);
    expect(runner.readsTable('stream_counter', 'stream_counter')).toBe(true);
    const during = await append(events, 'thing-a', 1);
    expect(await runner.waitFor(during, 5000)).toBe(true);
    expect(await counts(runner)).toEqual({ 'thing-a': 4 });
    expect(await readStore.tableNames()).toEqual(expect.arrayContaining(BOTH_BUILDS));

    const switched = runner.rebuild('stream_counter');
    hold.open();
    await switched;

    expect(await statusOf(runner)).toMatchObject({ version: 2, build: 'v2', rebuild: undefined });
    expect(runner.tables<StreamCounterTables>('stream_counter')('stream_counter')).toBe(
      'stream_counter_v2',
    );
    expect(runner.readsTable('stream_counter', 'stream_counter_notes')).toBe(true);
    // A reader that resolved v1 just before the switch still finds its tables, for a while.
    expect(await readStore.tableNames()).toEqual(expect.arrayContaining(BOTH_BUILDS));
    const dropped = await eventually(async () => {
      const tables = await readStore.tableNames();
      return tables.includes('stream_counter_v1') ? undefined : tables;
    });
    expect(dropped).toEqual(
      expect.arrayContaining(['stream_counter_v2', 'stream_counter_applied_v2']),
    );
    expect(dropped).not.toEqual(expect.arrayContaining(['stream_counter_applied_v1']));
    expect(await counts(runner)).toEqual({ 'thing-a': 4 });

    const after = await append(events, 'thing-b', 1);
    expect(await runner.waitFor(after, 5000)).toBe(true);
    expect(await counts(runner)).toEqual({ 'thing-a': 4, 'thing-b': 1 });

    // Rebuilding the same version again builds into the other colour's tables.
    await runner.rebuild('stream_counter');
    expect(await statusOf(runner)).toMatchObject({ version: 2, build: 'v2_b' });
    expect(await counts(runner)).toEqual({ 'thing-a': 4, 'thing-b': 1 });
    await eventually(async () =>
      (await readStore.tableNames()).includes('stream_counter_v2') ? undefined : true,
    );
  });

  it('a rebuild that cannot start is refused to whoever asked for it, leaves nothing behind, and the serving build goes on', async () => {
    const appended = await append(events, 'thing-a', 2);
    let refuseMigrations = false;
    const hooks: StreamCounterHooks = {
      // The second migration: the first one's tables are made and must go with the rebuild.
      afterMigration: (migration) => {
        if (refuseMigrations && migration === '002_index')
          throw new Error('no room for new tables');
      },
    };
    const runner = runnerWith(hooks);
    await runner.start();
    expect(await runner.waitFor(appended, 5000)).toBe(true);
    refuseMigrations = true;
    await expect(runner.requestRebuild('stream_counter')).rejects.toThrow('no room for new tables');
    expect(await statusOf(runner)).toMatchObject({ build: 'v1', failure: undefined });
    expect(await counts(runner)).toEqual({ 'thing-a': 2 });
    const registry = new ProjectionRegistry(readStore.store, () => new Date());
    expect(await registry.find('stream_counter')).toMatchObject({
      active: { id: 'v1' },
      pending: undefined,
    });
    expect(await registry.isMigrated('stream_counter', 'v1_b')).toBe(false);
    expect(await readStore.tableNames()).not.toContain('stream_counter_v1_b');

    // The refused rebuild is not carried out by the next start either.
    refuseMigrations = false;
    await runner.stop();
    const restarted = runnerWith(hooks);
    await restarted.start();
    expect(await statusOf(restarted)).toMatchObject({ build: 'v1', rebuild: undefined });

    const { switched } = await restarted.requestRebuild('stream_counter');
    await switched;
    expect(await statusOf(restarted)).toMatchObject({ build: 'v1_b', rebuild: undefined });
    expect(await counts(restarted)).toEqual({ 'thing-a': 2 });
  });

  it('a rebuild that can neither start nor be undone is refused saying it stays registered, and shows failed until retried', async () => {
    const appended = await append(events, 'thing-a', 2);
    // The read store goes down as the rebuild's migration fails: undoing it fails too.
    let storeDown = false;
    const refusing: KyselyPlugin = {
      transformQuery: (args) => {
        if (storeDown) throw new Error('the read store is down');
        return args.node;
      },
      transformResult: (args) => Promise.resolve(args.result),
    };
    const db = readStore.store.db.withPlugin(refusing);
    const failing = new Proxy(readStore.store, {
      get: (target, property) =>
        property === 'db' ? db : (Reflect.get(target, property, target) as unknown),
    });
    let refuseMigrations = false;
    const runner = runnerWith(
      {
        afterMigration: () => {
          if (!refuseMigrations) return;
          storeDown = true;
          throw new Error('no room for new tables');
        },
      },
      {},
      failing,
    );
    await runner.start();
    expect(await runner.waitFor(appended, 5000)).toBe(true);
    refuseMigrations = true;
    const refusal = runner.requestRebuild('stream_counter');
    await expect(refusal).rejects.toThrow('no room for new tables');
    await expect(refusal).rejects.toThrow(/undoing it failed too.*the read store is down/);
    await expect(refusal).rejects.toThrow('v1_b stays registered');
    storeDown = false;
    refuseMigrations = false;
    expect(await statusOf(runner)).toMatchObject({
      build: 'v1',
      rebuild: {
        version: 1,
        build: 'v1_b',
        state: 'failed',
        failure: { error: expect.stringContaining('no room for new tables') as unknown },
      },
    });

    await runner.retry('stream_counter');
    const switched = await eventually(async () => {
      const status = await statusOf(runner);
      return status.build === 'v1_b' ? status : undefined;
    });
    expect(switched).toMatchObject({ rebuild: undefined });
    expect(await counts(runner)).toEqual({ 'thing-a': 2 });
  });

  it('a rebuild whose build id is still retired waits for the retirement to end before reusing its tables', async () => {
    await append(events, 'thing-a', 2);
    const runner = runnerWith({}, { retiredBuildGraceMs: 800 });
    await runner.start();
    await runner.rebuild('stream_counter');
    const retiredAt = Date.now();
    expect(await statusOf(runner)).toMatchObject({ build: 'v1_b' });

    // Back to v1's id: its tables are still there for late readers, with their rows.
    const again = runner.rebuild('stream_counter');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const tables = runner.tables<StreamCounterTables>('stream_counter');
    expect(tables('stream_counter')).toBe('stream_counter_v1_b');
    const late = await rawDb(readStore.store)
      .selectFrom('stream_counter_v1')
      .select('events')
      .execute();
    expect(late.map((row) => Number(row.events))).toEqual([2]);

    await again;
    expect(Date.now() - retiredAt).toBeGreaterThanOrEqual(700);
    expect(await statusOf(runner)).toMatchObject({ build: 'v1' });
    expect(await counts(runner)).toEqual({ 'thing-a': 2 });
  });

  it('logs a rebuild naming the build it replaces and the new one, which share a version', async () => {
    await append(events, 'thing-a', 2);
    const rebuilding: string[] = [];
    const runner = runnerWith(
      {},
      {
        retiredBuildGraceMs: 1,
        logger: {
          info: (message: string) => {
            if (message.includes('rebuilding')) rebuilding.push(message);
          },
          warn: () => undefined,
          error: () => undefined,
        },
      },
    );
    await runner.start();
    await runner.rebuild('stream_counter');
    await runner.rebuild('stream_counter');
    expect(await statusOf(runner)).toMatchObject({ version: 1, build: 'v1' });
    expect(rebuilding).toEqual([
      'Projection stream_counter: rebuilding build v1 (version 1) into a new build v1_b (version 1); v1 serves until the switch',
      'Projection stream_counter: rebuilding build v1_b (version 1) into a new build v1 (version 1); v1_b serves until the switch',
    ]);
  });

  it('drops a retired build whose time came while no runner was running, when the next one starts', async () => {
    await append(events, 'thing-a', 2);
    const first = runnerWith({}, { retiredBuildGraceMs: 300 });
    await first.start();
    await first.rebuild('stream_counter');
    expect(await statusOf(first)).toMatchObject({ build: 'v1_b' });
    await first.stop();
    // Retired for a while yet: still there after the stop.
    expect(await readStore.tableNames()).toEqual(expect.arrayContaining(['stream_counter_v1']));

    await new Promise((resolve) => setTimeout(resolve, 400));
    const next = runnerWith();
    await next.start();
    expect(await readStore.tableNames()).not.toEqual(expect.arrayContaining(['stream_counter_v1']));
    expect(await readStore.tableNames()).toEqual(expect.arrayContaining(['stream_counter_v1_b']));
    expect(await counts(next)).toEqual({ 'thing-a': 2 });
  });

  if (dialect === 'postgres') {
    it('runs each projection on one instance only (advisory lock); the other stands by and takes over', async () => {
      const head = await append(events, 'thing-a', 2);
      const leader = runnerWith();
      await leader.start();
      const secondConnection = await readStore.openAnother();
      const follower = runnerWith({}, {}, secondConnection);
      await follower.start();

      expect((await statusOf(follower)).state).toBe('standby');
      expect(await follower.waitFor(head, 5000)).toBe(true);

      await leader.stop();
      const next = await append(events, 'thing-a', 1);
      await eventually(async () =>
        (await statusOf(follower)).state === 'live' ? true : undefined,
      );
      expect(await follower.waitFor(next, 5000)).toBe(true);
      expect(await counts(follower)).toEqual({ 'thing-a': 3 });
    });

    it('applies a batch once when the leader loses its lock mid-batch and the follower takes over', async () => {
      const head = await append(events, 'thing-a', 3);
      const held = gate();
      gates.push(held);
      let leaderApplying = false;
      const leader = runnerWith({
        beforeApply: async () => {
          leaderApplying = true;
          await held.opened;
        },
      });
      await leader.start();
      await eventually(async () => (leaderApplying ? true : undefined));
      const secondConnection = await readStore.openAnother();
      const follower = runnerWith({}, {}, secondConnection);
      await follower.start();
      // The leader's lock session drops (a killed backend), its batch still open.
      await sql`SELECT pg_terminate_backend(l.pid) FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.objsubid = 1
          AND l.objid = (hashtext(current_schema() || ':projection:stream_counter')::bigint & 4294967295)::oid`.execute(
        rawDb(readStore.store),
      );
      // The follower took over: it applied the batch, or it waits for the leader's to commit.
      await eventually(async () => {
        if ((await statusOf(follower)).state === 'live') return true;
        const { rows } = await sql<{ waiting: number }>`SELECT count(*)::int AS waiting
          FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'
            AND datname = current_database()`.execute(rawDb(readStore.store));
        return rows[0]!.waiting > 0 ? true : undefined;
      });
      // The stopping leader's batch commits after the follower read the checkpoint: it must not
      // be applied twice.
      held.open();
      expect(await follower.waitFor(head, 5000)).toBe(true);
      await leader.stop();
      expect(await applications(follower)).toEqual([1, 1, 1]);
      expect(await counts(follower)).toEqual({ 'thing-a': 3 });
    });

    it('migrates a build once when two instances migrate it together (one whose lock went with its session, still at it): the second waits for the first and finds it done', async () => {
      const created = gate();
      const release = gate();
      gates.push(release);
      let firstMigrator: number | undefined;
      const projection = streamCounterProjection({
        hooks: {
          afterMigration: async (migration, db) => {
            if (migration !== '001_tables' || firstMigrator !== undefined) return;
            const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db);
            firstMigrator = rows[0]!.pid;
            created.open();
            await release.opened;
          },
        },
      });
      const build = nextBuild(projection, undefined);
      const [first, second] = [readStore.store, await readStore.openAnother()].map(
        (store) => new ProjectionRegistry(store, () => new Date()),
      );
      await first!.migrate();
      const migrations = [first!.migrateBuild(projection, build)];
      // The first has created the tables in its open transaction; the second starts now.
      await created.opened;
      migrations.push(second!.migrateBuild(projection, build));
      await eventually(
        async () => {
          const { rows } = await sql<{ waiting: number }>`
            SELECT count(*)::int AS waiting FROM pg_stat_activity
            WHERE ${firstMigrator} = ANY(pg_blocking_pids(pid))`.execute(readStore.store.db);
          return rows[0]!.waiting > 0 ? true : undefined;
        },
        5000,
        'the second migration waiting for the first',
      );
      release.open();
      await Promise.all(migrations);
      const applied = await sql<{ migration: string }>`
        SELECT migration FROM projection_schema_migrations
        WHERE projection = 'stream_counter' AND build = ${build.id} ORDER BY migration`.execute(
        readStore.store.db,
      );
      expect(applied.rows.map((row) => row.migration)).toEqual(['001_tables', '002_index']);
      expect(await readStore.tableNames()).toEqual(
        expect.arrayContaining(Object.values(build.tables)),
      );
    });
  }
});

import { randomUUID } from 'node:crypto';
import { allProjections } from '../../projections';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite/sqlite-event-store';
import { openReadStore } from '../../src/infrastructure/read-store/open-read-store';
import type { ReadStore } from '../../src/infrastructure/read-store/read-store';
import type { AnyProjection } from '../../src/projection-runner/projection';
import { ProjectionRegistry } from '../../src/projection-runner/projection-registry';
import { ProjectionRunner } from '../../src/projection-runner/projection-runner';
import { systemClock } from '../../src/shared/clock';
import { createDataOnlyRole, type DataOnlyRole } from '../support/postgres';
import {
  describeOnReadStores,
  openTestReadStore,
  type TestReadStore,
} from '../support/read-store-targets';
import { streamCounterProjection } from '../support/stream-counter.projection';

describeOnReadStores('a read store role that may not create tables', (dialect) => {
  if (dialect !== 'postgres') return;

  let events: SqliteEventStore;
  let readStore: TestReadStore;
  let schema: string;
  let role: DataOnlyRole;
  const runners: ProjectionRunner[] = [];
  const stores: ReadStore[] = [];

  function runnerOn(store: ReadStore, projections: readonly AnyProjection[]): ProjectionRunner {
    const runner = new ProjectionRunner(events, store, projections, { standbyPollMs: 50 });
    runners.push(runner);
    return runner;
  }

  /** The read store as the service opens it with `role.url` as its DATABASE_URL. */
  async function openAsRole(): Promise<ReadStore> {
    const store = await openReadStore({ kind: 'postgres', url: role.url, maxConnections: 4 });
    stores.push(store);
    return store;
  }

  const everyProjection = (): readonly AnyProjection[] => [
    ...allProjections({ eventStore: events, clock: systemClock }),
    streamCounterProjection(),
  ];

  async function appendThing(): Promise<bigint> {
    const appended = await events.append(
      'thing-a',
      [
        {
          id: randomUUID(),
          type: 'ThingHappened',
          data: {},
          metadata: { workspaceId: 'w1', occurredAt: Date.now() },
        },
      ],
      { expectedRevision: 'any' },
    );
    return appended.position;
  }

  // Generous: on a loaded machine every projection's first batch on PostgreSQL takes seconds.
  const CAUGHT_UP_WITHIN_MS = 20_000;

  beforeEach(async () => {
    events = SqliteEventStore.open({ file: ':memory:' });
    readStore = await openTestReadStore('postgres');
    if (readStore.config.kind !== 'postgres' || readStore.config.schema === undefined)
      throw new Error('a PostgreSQL schema of its own expected');
    schema = readStore.config.schema;
    role = await createDataOnlyRole(schema);
  });

  afterEach(async () => {
    for (const runner of runners.splice(0)) await runner.stop();
    for (const store of stores.splice(0)) await store.close();
    await readStore.dispose();
    await role.drop();
    await events.close();
  });

  it('starts every projection on a schema its owner migrated, and applies new events', async () => {
    const owner = runnerOn(readStore.store, everyProjection());
    await owner.start();
    expect(await owner.waitFor(await appendThing(), CAUGHT_UP_WITHIN_MS)).toBe(true);
    await owner.stop();
    await role.grantOnTables();

    const runner = runnerOn(await openAsRole(), everyProjection());
    await runner.start();
    expect(await runner.waitFor(await appendThing(), CAUGHT_UP_WITHIN_MS)).toBe(true);
    const statuses = await runner.status();
    // Names and states only: a status's positions are BigInts, which jest's workers cannot report.
    expect(
      statuses
        .filter((status) => status.state !== 'live')
        .map(({ name, state, error }) => ({ name, state, error })),
    ).toEqual([]);
  });

  it('refuses to start on a schema not migrated yet, naming the privilege it lacks', async () => {
    const runner = runnerOn(await openAsRole(), everyProjection());
    await expect(runner.start()).rejects.toThrow(
      `role ${role.name} lacks CREATE on schema ${schema}`,
    );
  });

  it('refuses to start when a projection needs tables it may not create (a new version), naming the privilege', async () => {
    const owner = runnerOn(readStore.store, [streamCounterProjection()]);
    await owner.start();
    await owner.stop();
    await role.grantOnTables();

    const runner = runnerOn(await openAsRole(), [streamCounterProjection({ version: 2 })]);
    await expect(runner.start()).rejects.toThrow(
      `role ${role.name} lacks CREATE on schema ${schema}`,
    );
    const registry = new ProjectionRegistry(readStore.store, () => new Date());
    expect(await registry.find('stream_counter')).toMatchObject({
      active: { id: 'v1' },
      pending: undefined,
    });
  });
});

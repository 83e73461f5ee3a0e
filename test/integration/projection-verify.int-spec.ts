import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type KyselyPlugin } from 'kysely';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite/sqlite-event-store';
import type { ReadStore, ReadStoreDialect } from '../../src/infrastructure/read-store/read-store';
import {
  ProjectionBusy,
  ProjectionRunner,
  type ProjectionVerification,
} from '../../src/projection-runner/projection-runner';
import { compareBuilds } from '../../src/projection-runner/build-comparison';
import type { ProjectionBuild } from '../../src/projection-runner/projection-registry';
import { eventually, gate } from '../support/eventually';
import {
  describeOnReadStores,
  openTestReadStore,
  type TestReadStore,
} from '../support/read-store-targets';
import { streamCounterProjection } from '../support/stream-counter.projection';

const NAME = 'stream_counter';

/**
 * `store`, whose reads of a verify's tables (the comparison's) wait while `held()` is set, which
 * they mark entered.
 */
function heldWhileComparing(
  store: ReadStore,
  held: () => { readonly opened: Promise<void>; entered?: true } | undefined,
): ReadStore {
  const comparisonReads = new WeakSet<object>();
  const plugin: KyselyPlugin = {
    transformQuery: ({ node, queryId }) => {
      // The comparison's keyset reads; not the advisory locks naming the verify's build.
      const text = JSON.stringify(node);
      if (node.kind === 'RawNode' && text.includes('_verify') && text.includes('LIMIT'))
        comparisonReads.add(queryId);
      return node;
    },
    transformResult: async ({ result, queryId }) => {
      const gate = held();
      if (gate && comparisonReads.has(queryId)) {
        gate.entered = true;
        await gate.opened;
      }
      return result;
    },
  };
  return { ...store, db: store.db.withPlugin(plugin) };
}

describeOnReadStores('verifying a projection against its rebuild', (dialect: ReadStoreDialect) => {
  let events: SqliteEventStore;
  let readStore: TestReadStore;
  let runner: ProjectionRunner;
  /** While set, every batch waits for it (the live build being idle, only the verify's). */
  let held: { readonly opened: Promise<void>; open(): void } | undefined;
  /** While set, every read of the comparison waits for it. */
  let comparing: { readonly opened: Promise<void>; open(): void; entered?: true } | undefined;

  const append = async (stream: string, count: number): Promise<bigint> =>
    (
      await events.append(
        stream,
        Array.from({ length: count }, () => ({
          id: randomUUID(),
          type: 'ThingHappened',
          data: {},
          metadata: { workspaceId: 'w1', occurredAt: Date.now() },
        })),
        { expectedRevision: 'any' },
      )
    ).position;

  const finished = (): Promise<ProjectionVerification> =>
    eventually(
      () => {
        const verification = runner.verification(NAME);
        return verification?.state === 'verifying' ? undefined : verification;
      },
      10_000,
      'the verify to end',
    );

  /** Changes the live build's rows behind the projection's back, as a bug would. */
  const alterLive = (statement: (table: ReturnType<typeof sql.table>) => ReturnType<typeof sql>) =>
    statement(sql.table(`${NAME}_v1`)).execute(readStore.store.db);

  const tableNames = async () =>
    (await readStore.tableNames()).filter((table) => table.startsWith(NAME));

  beforeEach(async () => {
    events = SqliteEventStore.open({ file: ':memory:' });
    readStore = await openTestReadStore(dialect);
    held = undefined;
    comparing = undefined;
    runner = new ProjectionRunner(
      events,
      heldWhileComparing(readStore.store, () => comparing),
      [streamCounterProjection({ hooks: { beforeApply: () => held?.opened } })],
      { batchSize: 7, retryBaseDelayMs: 1, retryMaxDelayMs: 5, standbyPollMs: 50 },
    );
    await runner.start();
    await append('thing-a', 3);
    await append('thing-b', 2);
    await append('thing-c', 20);
    expect(await runner.waitFor(await events.headPosition(), 5000)).toBe(true);
  });

  afterEach(async () => {
    held?.open();
    comparing?.open();
    await runner.stop();
    await readStore.dispose();
    await events.close();
  });

  it('reports identical builds with the rows and tables it compared, and leaves nothing behind', async () => {
    const tablesBefore = await tableNames();
    const started = await runner.verify(NAME);
    expect(started).toMatchObject({ state: 'verifying', build: 'v1', target: 25n });

    expect(await finished()).toMatchObject({
      state: 'identical',
      comparedAt: 25n,
      // Three counters and 25 applied events.
      comparison: { identical: true, rows: 28, tables: 2 },
      lagEvents: 0n,
      error: undefined,
    });
    expect(await tableNames()).toEqual(tablesBefore);
    // Never switched; and the live build, fed again after the comparison, reaches the head.
    await eventually(async () => ((await runner.status())[0]?.state === 'live' ? true : undefined));
    expect((await runner.status())[0]?.build).toBe('v1');
    expect(await runner.waitFor(await append('thing-d', 1), 5000)).toBe(true);
  });

  it('reports the first difference in primary-key order: the table, the key, the column and both values', async () => {
    await alterLive((table) => sql`UPDATE ${table} SET events = 99 WHERE stream_id = 'thing-c'`);
    await alterLive((table) => sql`UPDATE ${table} SET events = 77 WHERE stream_id = 'thing-b'`);
    await runner.verify(NAME);

    expect(await finished()).toMatchObject({
      state: 'different',
      comparison: {
        identical: false,
        difference: {
          table: NAME,
          key: { stream_id: 'thing-b' },
          column: 'events',
          live: 77,
          rebuilt: 2,
        },
      },
    });
  });

  it('reports a row only one build has, ordered among the others by the database', async () => {
    await alterLive(
      (table) =>
        sql`INSERT INTO ${table} (stream_id, events, last_position) VALUES ('thing-bb', 1, '1')`,
    );
    await alterLive((table) => sql`DELETE FROM ${table} WHERE stream_id = 'thing-b'`);
    await runner.verify(NAME);
    // `thing-b` (only in the rebuild) comes before `thing-bb` (only in the live build).
    expect((await finished()).comparison).toEqual({
      identical: false,
      difference: {
        table: NAME,
        key: { stream_id: 'thing-b' },
        column: undefined,
        live: undefined,
        rebuilt: { stream_id: 'thing-b', events: 2, last_position: '5' },
      },
    });

    await alterLive(
      (table) =>
        sql`INSERT INTO ${table} (stream_id, events, last_position) VALUES ('thing-b', 2, '5')`,
    );
    await runner.verify(NAME);
    expect((await finished()).comparison).toMatchObject({
      difference: {
        key: { stream_id: 'thing-bb' },
        column: undefined,
        live: { stream_id: 'thing-bb', events: 1, last_position: '1' },
        rebuilt: undefined,
      },
    });
  });

  it('compares both builds at one point of the log while events keep coming', async () => {
    held = gate();
    await runner.verify(NAME);
    // The live build goes on while the verify's build waits.
    const live = held;
    held = undefined;
    const later = await append('thing-a', 4);
    expect(await runner.waitFor(later, 5000)).toBe(true);
    live.open();

    const verification = await finished();
    expect(verification).toMatchObject({ state: 'identical', target: 25n });
    expect(verification.comparedAt).toBeGreaterThanOrEqual(25n);
  });

  it('holds the live build while comparing, showing it catching up, not stopped, and feeds it again after', async () => {
    comparing = gate();
    await runner.verify(NAME);
    await eventually(() => comparing?.entered);
    const during = await append('thing-a', 4);
    // Held: the event is in the log, and the live build does not apply it meanwhile.
    expect(await runner.waitFor(during, 200)).toBe(false);
    expect((await runner.status())[0]?.state).toBe('catching_up');
    expect(runner.verification(NAME)?.state).toBe('verifying');

    comparing.open();
    comparing = undefined;
    expect(await finished()).toMatchObject({ state: 'identical', comparedAt: 25n });
    expect(await runner.waitFor(during, 5000)).toBe(true);
  });

  it('refuses a second verify and a rebuild while one is under way, and a verify while rebuilding', async () => {
    held = gate();
    await runner.verify(NAME);
    await expect(runner.verify(NAME)).rejects.toBeInstanceOf(ProjectionBusy);
    await expect(runner.requestRebuild(NAME)).rejects.toBeInstanceOf(ProjectionBusy);
    held.open();
    held = undefined;
    expect(await finished()).toMatchObject({ state: 'identical' });

    held = gate();
    const { switched } = await runner.requestRebuild(NAME);
    await expect(runner.verify(NAME)).rejects.toBeInstanceOf(ProjectionBusy);
    held.open();
    held = undefined;
    await switched;
    await runner.verify(NAME);
    expect(await finished()).toMatchObject({ state: 'identical', build: 'v1_b' });
  });

  it('ends failed, saying so, when the runner stops during the verify', async () => {
    held = gate();
    await runner.verify(NAME);
    const stopping = runner.stop();
    held.open();
    held = undefined;
    await stopping;
    expect(runner.verification(NAME)).toMatchObject({ state: 'failed' });
    expect(runner.verification(NAME)?.error).toMatch(/stopped/);
    expect((await tableNames()).filter((table) => table.includes('verify'))).toEqual([]);
  });
});

describeOnReadStores('comparing two builds row for row', (dialect: ReadStoreDialect) => {
  let readStore: TestReadStore;
  const build = (id: string): ProjectionBuild => ({
    version: 1,
    id,
    tables: { pairs: `pairs_${id}`, singles: `singles_${id}` },
  });
  const live = build('live');
  const rebuilt = build('rebuilt');

  beforeEach(async () => {
    readStore = await openTestReadStore(dialect);
    for (const { tables } of [live, rebuilt]) {
      await readStore.store.db.schema
        .createTable(tables.pairs!)
        .addColumn('workspace_id', 'text', (column) => column.notNull())
        .addColumn('seq', 'integer', (column) => column.notNull())
        .addColumn('value', 'text')
        .addPrimaryKeyConstraint(`${tables.pairs!}_pk`, ['workspace_id', 'seq'])
        .execute();
      await readStore.store.db.schema
        .createTable(tables.singles!)
        .addColumn('id', 'text', (column) => column.primaryKey())
        .execute();
      const rows = ['w1', 'w2'].flatMap((workspace_id) =>
        Array.from({ length: 10 }, (_, seq) => ({
          workspace_id,
          seq,
          value: `${workspace_id}-${seq}`,
        })),
      );
      await (readStore.store.db as Kysely<Record<string, object>>)
        .insertInto(tables.pairs!)
        .values(rows)
        .execute();
    }
  });

  afterEach(() => readStore.dispose());

  const compare = () =>
    compareBuilds(readStore.store, ['singles', 'pairs'], live, rebuilt, { chunkSize: 3 });

  it('reads both sides in keyset chunks and counts every row of every table', async () => {
    expect(await compare()).toEqual({ identical: true, rows: 20, tables: 2 });
  });

  it('finds the first difference past several chunks, by a composite key in its order', async () => {
    // Numeric order of `seq`, not text order: 9 before 10 would not hold for text.
    await sql`UPDATE ${sql.table(live.tables.pairs!)} SET value = NULL
      WHERE workspace_id = 'w2' AND seq = 8`.execute(readStore.store.db);
    await sql`UPDATE ${sql.table(rebuilt.tables.pairs!)} SET value = 'late'
      WHERE workspace_id = 'w2' AND seq = 9`.execute(readStore.store.db);
    expect(await compare()).toEqual({
      identical: false,
      difference: {
        table: 'pairs',
        key: { workspace_id: 'w2', seq: 8 },
        column: 'value',
        live: null,
        rebuilt: 'w2-8',
      },
    });
  });

  it('finds a row the live build lacks at the end of a table', async () => {
    await sql`INSERT INTO ${sql.table(rebuilt.tables.singles!)} (id) VALUES ('z')`.execute(
      readStore.store.db,
    );
    expect(await compare()).toMatchObject({
      difference: { table: 'singles', key: { id: 'z' }, live: undefined, rebuilt: { id: 'z' } },
    });
  });
});

import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { sql } from 'kysely';
import { contactsProjection } from '../../projections/contacts/contacts.projection';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite/sqlite-event-store';
import { Environment } from '../../src/config/environment';
import { openReadStore } from '../../src/infrastructure/read-store/open-read-store';
import { openConfiguredReadStore } from '../../src/infrastructure/read-store/read-store.module';
import type { ReadStore } from '../../src/infrastructure/read-store/read-store';
import { ProjectionRunner } from '../../src/projection-runner/projection-runner';
import { StartFailure } from '../../src/shared/start-failure';
import { contactStreamId } from '../../src/shared/stream-names';
import { eventually, gate } from '../support/eventually';
import { dropSchema, TEST_POSTGRES_URL, uniqueSchemaName } from '../support/postgres';
import {
  describeOnReadStores,
  openTestReadStore,
  type TestReadStore,
} from '../support/read-store-targets';
import {
  streamCounterProjection,
  type StreamCounterTables,
} from '../support/stream-counter.projection';
import { startTerminatingPostgresProxy } from '../support/terminating-postgres-proxy';

describeOnReadStores('read store connections', (dialect) => {
  if (dialect !== 'postgres') return;

  it('survives an idle pooled connection the server terminates, and answers on a new one (PostgreSQL)', async () => {
    await withOneConnection(async ({ store, admin, broken }) => {
      const pid = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(store.db))
        .rows[0]!.pid;
      // What an operator's pg_terminate_backend, or a server restart, does to an idle connection.
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await eventually(async () => (broken.length > 0 ? true : undefined), 5000, 'the break');
      const { rows } = await sql<{ answer: number }>`SELECT 42 AS answer`.execute(store.db);
      expect(rows).toEqual([{ answer: 42 }]);
      expect(broken[0]?.message).toMatch(/terminat/i);
    });
  });

  it('survives a connection the server terminates in the middle of a transaction: the transaction fails, the next query answers (PostgreSQL)', async () => {
    await withOneConnection(async ({ store, admin, broken }) => {
      const transaction = store.db.transaction().execute(async (tx) => {
        const pid = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(tx))
          .rows[0]!.pid;
        // Idle in transaction, as a projection's batch is between two of its statements.
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        await eventually(async () => (broken.length > 0 ? true : undefined), 5000, 'the break');
        await sql`SELECT 1`.execute(tx);
      });
      await expect(transaction).rejects.toThrow();
      const { rows } = await sql<{ answer: number }>`SELECT 42 AS answer`.execute(store.db);
      expect(rows).toEqual([{ answer: 42 }]);
    });
  });

  it('survives a pooled connection the server terminates as it starts, before the pool has lent it out: the statement on it fails, the next one answers (PostgreSQL)', async () => {
    const proxy = await startTerminatingPostgresProxy();
    try {
      await withOneConnection(async ({ store, broken }) => {
        proxy.terminateNextSessionAtStartup();
        await expect(sql`SELECT 1`.execute(store.db)).rejects.toThrow();
        const { rows } = await sql<{ answer: number }>`SELECT 42 AS answer`.execute(store.db);
        expect(rows).toEqual([{ answer: 42 }]);
        expect(broken[0]?.message).toMatch(/terminat/i);
      }, proxy.url);
    } finally {
      await proxy.close();
    }
  });

  it('replaces a lock connection the server terminates as it starts: the next tryLock takes the lock on a new one (PostgreSQL)', async () => {
    const proxy = await startTerminatingPostgresProxy();
    try {
      await withOneConnection(async ({ store }) => {
        proxy.terminateNextSessionAtStartup();
        await expect(store.tryLock('projection:contacts')).rejects.toThrow();
        const lock = await store.tryLock('projection:contacts');
        expect(lock?.held()).toBe(true);
        await lock?.release();
      }, proxy.url);
    } finally {
      await proxy.close();
    }
  });

  describe("the start's connectivity check, when the server terminates its session as it starts (PostgreSQL)", () => {
    const openThrough = async (
      terminations: number,
      check: (opened: Promise<ReadStore>) => Promise<void>,
    ) => {
      const proxy = await startTerminatingPostgresProxy();
      try {
        for (let session = 0; session < terminations; session += 1)
          proxy.terminateNextSessionAtStartup();
        const environment = Object.assign(new Environment(), { DATABASE_URL: proxy.url });
        await check(openConfiguredReadStore(environment));
      } finally {
        await proxy.close();
      }
    };

    it('checks again on a new connection, and opens the store', async () => {
      await openThrough(1, async (opened) => {
        const store = await opened;
        try {
          const { rows } = await sql<{ answer: number }>`SELECT 42 AS answer`.execute(store.db);
          expect(rows).toEqual([{ answer: 42 }]);
        } finally {
          await store.close();
        }
      });
    });

    it('stops the start naming DATABASE_URL when every new connection is terminated', async () => {
      await openThrough(20, async (opened) => {
        await expect(opened).rejects.toThrow(StartFailure);
        await expect(opened).rejects.toThrow(
          /^DATABASE_URL: cannot connect to PostgreSQL at 127\.0\.0\.1/,
        );
      });
    });
  });

  describe('a start whose sessions the server terminates as they start (PostgreSQL)', () => {
    interface Started {
      readonly start: Promise<void>;
      readonly runner: ProjectionRunner;
      readonly retries: readonly string[];
      readonly events: SqliteEventStore;
    }

    const startThrough = async (
      arm: (proxy: { terminateNextSessionAtStartup(): void }, store: ReadStore) => Promise<void>,
      check: (started: Started) => Promise<void>,
    ) => {
      const proxy = await startTerminatingPostgresProxy();
      const events = SqliteEventStore.open({ file: ':memory:' });
      try {
        await withOneConnection(async ({ store }) => {
          const retries: string[] = [];
          const runner = new ProjectionRunner(events, store, [streamCounterProjection()], {
            standbyPollMs: 50,
            logger: warningsContaining('retrying', retries),
          });
          try {
            await arm(proxy, store);
            await check({ start: runner.start(), runner, retries, events });
          } finally {
            await runner.stop();
          }
        }, proxy.url);
      } finally {
        await proxy.close();
        await events.close();
      }
    };

    const startsAndProjects = async ({ start, runner, retries, events }: Started) => {
      await start;
      expect(retries).toHaveLength(1);
      expect(await runner.waitFor(await thingHappened(events), 10_000)).toBe(true);
      expect((await runner.status())[0]).toMatchObject({ state: 'live' });
    };

    it('retries the migration on a new connection when the first one is terminated, and runs', async () => {
      await startThrough(async (proxy) => proxy.terminateNextSessionAtStartup(), startsAndProjects);
    });

    it('retries the claim on a new lock connection when the first one is terminated, and runs', async () => {
      await startThrough(async (proxy, store) => {
        // The pool's connection is up: the next session the start opens is the lock's.
        await sql`SELECT 1`.execute(store.db);
        proxy.terminateNextSessionAtStartup();
      }, startsAndProjects);
    });

    it('gives up with the connection error when every new connection is terminated', async () => {
      await startThrough(
        async (proxy) => {
          for (let session = 0; session < 20; session += 1) proxy.terminateNextSessionAtStartup();
        },
        async ({ start, retries }) => {
          await expect(start).rejects.toThrow(/terminat|not queryable/i);
          expect(retries).toHaveLength(4);
        },
      );
    });
  });

  it('takes its projection locks again after their session is terminated, and goes on projecting (PostgreSQL)', async () => {
    const events = SqliteEventStore.open();
    const target = await openTestReadStore('postgres');
    const runner = new ProjectionRunner(events, target.store, [contactsProjection], {
      standbyPollMs: 50,
    });
    const admin = new Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    const lockHolders = () => projectionLockHolders(admin, target, 'contacts');
    try {
      await runner.start();
      await userCreated(events, 'before');
      expect(await runner.waitFor(await events.headPosition(), 10_000)).toBe(true);
      const [holder] = await lockHolders();
      expect(holder).toBeDefined();
      await admin.query('SELECT pg_terminate_backend($1)', [holder]);
      const retaken = await eventually(
        async () => {
          const holders = await lockHolders();
          return holders.length > 0 && !holders.includes(holder!) ? holders : undefined;
        },
        10_000,
        'the lock taken again',
      );
      expect(retaken).toHaveLength(1);
      await userCreated(events, 'after');
      expect(await runner.waitFor(await events.headPosition(), 10_000)).toBe(true);
      expect((await runner.status())[0]).toMatchObject({ state: 'live' });
    } finally {
      await admin.end();
      await runner.stop();
      await target.dispose();
      await events.close();
    }
  });

  it('claims a lost lock again once, even while stopping the projection waits for its batch in flight: it never runs twice (PostgreSQL)', async () => {
    const events = SqliteEventStore.open({ file: ':memory:' });
    const target = await openTestReadStore('postgres');
    const elsewhere = await target.openAnother();
    const admin = new Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    const applying = gate();
    const release = gate();
    let holding = false;
    const counter = streamCounterProjection({
      hooks: {
        afterEvent: async () => {
          if (!holding) return;
          applying.open();
          await release.opened;
        },
      },
    });
    // contacts runs on another instance: this one tries its lock at every poll, which shows the
    // polls going on while the counter's stop waits.
    let contactsClaims = 0;
    const store: ReadStore = {
      ...target.store,
      tryLock: (key) => {
        if (key === 'projection:contacts') contactsClaims += 1;
        return target.store.tryLock(key);
      },
    };
    const lost: string[] = [];
    const runner = new ProjectionRunner(events, store, [contactsProjection, counter], {
      standbyPollMs: 20,
      logger: warningsContaining('lost its lock', lost),
    });
    try {
      await elsewhere.tryLock('projection:contacts');
      await runner.start();
      expect(await runner.waitFor(await thingHappened(events), 10_000, ['stream_counter'])).toBe(
        true,
      );

      holding = true;
      await thingHappened(events);
      await applying.opened;
      const [holder] = await projectionLockHolders(admin, target, 'stream_counter');
      await admin.query('SELECT pg_terminate_backend($1)', [holder]);
      await eventually(() => (lost.length > 0 ? true : undefined), 10_000, 'the loss noticed');
      const claimsThen = contactsClaims;
      await eventually(
        () => (contactsClaims >= claimsThen + 3 ? true : undefined),
        10_000,
        'more polls',
      );
      holding = false;
      release.open();

      expect(await runner.waitFor(await thingHappened(events), 10_000, ['stream_counter'])).toBe(
        true,
      );
      const applied = await runner
        .queryDb<StreamCounterTables>('stream_counter')
        .selectFrom('stream_counter_applied')
        .select('applications')
        .execute();
      expect(applied.map((row) => Number(row.applications))).toEqual([1, 1, 1]);
      expect(lost).toHaveLength(1);
      expect(await projectionLockHolders(admin, target, 'stream_counter')).toHaveLength(1);
      expect((await runner.status())[1]).toMatchObject({ name: 'stream_counter', state: 'live' });
    } finally {
      release.open();
      await admin.end();
      await runner.stop();
      await target.dispose();
      await events.close();
    }
  });
});

/** The sessions holding the projection's lock in the test's schema (other test files hold their own). */
async function projectionLockHolders(
  admin: Client,
  target: TestReadStore,
  projection: string,
): Promise<number[]> {
  const key = `${(target.config as { schema: string }).schema}:projection:${projection}`;
  const { rows } = await admin.query<{ pid: number }>(
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
       AND classid = ((hashtext($1)::bigint >> 32) & 4294967295)::oid
       AND objid = (hashtext($1)::bigint & 4294967295)::oid`,
    [key],
  );
  return rows.map((row) => row.pid);
}

/**
 * A PostgreSQL read store of one pooled connection in a schema of its own (reached at `url`), the
 * connection errors it reported, and an administrator's connection to terminate its sessions with.
 */
async function withOneConnection(
  test: (setup: { store: ReadStore; admin: Client; broken: Error[] }) => Promise<void>,
  url = TEST_POSTGRES_URL,
): Promise<void> {
  const schema = uniqueSchemaName('conn');
  const broken: Error[] = [];
  const store = await openReadStore({
    kind: 'postgres',
    url,
    schema,
    maxConnections: 1,
    onConnectionError: (error) => broken.push(error),
  });
  const admin = new Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  try {
    await test({ store, admin, broken });
  } finally {
    await admin.end();
    await store.close();
    await dropSchema(schema);
  }
}

function userCreated(events: SqliteEventStore, label: string) {
  const contactId = `65f0${randomBytes(10).toString('hex')}`;
  return events.append(
    contactStreamId('ws_locks', contactId),
    [
      {
        id: randomUUID(),
        type: 'UserCreated',
        data: {
          contactId,
          workspaceId: 'ws_locks',
          createdAt: 1_700_000_000,
          attributes: { email: `${label}@example.com` },
        },
        metadata: { workspaceId: 'ws_locks', occurredAt: Date.now() },
      },
    ],
    { expectedRevision: 'no_stream' },
  );
}

async function thingHappened(events: SqliteEventStore): Promise<bigint> {
  const { position } = await events.append(
    `thing-${randomUUID()}`,
    [
      {
        id: randomUUID(),
        type: 'ThingHappened',
        data: {},
        metadata: { workspaceId: 'w1', occurredAt: Date.now() },
      },
    ],
    { expectedRevision: 'no_stream' },
  );
  return position;
}

/** A runner logger that keeps the warnings naming `fragment` in `into` and drops the rest. */
function warningsContaining(fragment: string, into: string[]) {
  return {
    info: () => undefined,
    warn: (message: string) => {
      if (message.includes(fragment)) into.push(message);
    },
    error: () => undefined,
  };
}

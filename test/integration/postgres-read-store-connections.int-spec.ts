import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { sql } from 'kysely';
import { contactsProjection } from '../../projections/contacts/contacts.projection';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite/sqlite-event-store';
import { openReadStore } from '../../src/infrastructure/read-store/open-read-store';
import type { ReadStore } from '../../src/infrastructure/read-store/read-store';
import { ProjectionRunner } from '../../src/projection-runner/projection-runner';
import { contactStreamId } from '../../src/shared/stream-names';
import { eventually } from '../support/eventually';
import { dropSchema, TEST_POSTGRES_URL, uniqueSchemaName } from '../support/postgres';
import { describeOnReadStores, openTestReadStore } from '../support/read-store-targets';
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

  it('takes its projection locks again after their session is terminated, and goes on projecting (PostgreSQL)', async () => {
    const events = SqliteEventStore.open();
    const target = await openTestReadStore('postgres');
    const runner = new ProjectionRunner(events, target.store, [contactsProjection], {
      standbyPollMs: 50,
    });
    const admin = new Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    // This test's lock only: other test files hold locks of their own schemas meanwhile.
    const key = `${(target.config as { schema: string }).schema}:projection:contacts`;
    const lockHolders = async () =>
      (
        await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
             AND classid = ((hashtext($1)::bigint >> 32) & 4294967295)::oid
             AND objid = (hashtext($1)::bigint & 4294967295)::oid`,
          [key],
        )
      ).rows.map((row) => row.pid);
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
});

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

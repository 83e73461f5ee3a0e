import { Client } from 'pg';
import { sql } from 'kysely';
import { openReadStore } from '../../src/infrastructure/read-store/open-read-store';
import { eventually } from '../support/eventually';
import { dropSchema, TEST_POSTGRES_URL, uniqueSchemaName } from '../support/postgres';
import { describeOnReadStores } from '../support/read-store-targets';

describeOnReadStores('read store connections', (dialect) => {
  if (dialect !== 'postgres') return;

  it('survives an idle pooled connection the server terminates, and answers on a new one (PostgreSQL)', async () => {
    const schema = uniqueSchemaName('conn');
    const broken: Error[] = [];
    const store = await openReadStore({
      kind: 'postgres',
      url: TEST_POSTGRES_URL,
      schema,
      maxConnections: 1,
      onConnectionError: (error) => broken.push(error),
    });
    const admin = new Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    try {
      const pid = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(store.db))
        .rows[0]!.pid;
      // What an operator's pg_terminate_backend, or a server restart, does to an idle connection.
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await eventually(async () => (broken.length > 0 ? true : undefined), 5000, 'the break');
      const { rows } = await sql<{ answer: number }>`SELECT 42 AS answer`.execute(store.db);
      expect(rows).toEqual([{ answer: 42 }]);
      expect(broken[0]?.message).toMatch(/terminat/i);
    } finally {
      await admin.end();
      await store.close();
      await dropSchema(schema);
    }
  });

  it('survives a connection the server terminates in the middle of a transaction: the transaction fails, the next query answers (PostgreSQL)', async () => {
    const schema = uniqueSchemaName('conn');
    const broken: Error[] = [];
    const store = await openReadStore({
      kind: 'postgres',
      url: TEST_POSTGRES_URL,
      schema,
      maxConnections: 1,
      onConnectionError: (error) => broken.push(error),
    });
    const admin = new Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    try {
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
    } finally {
      await admin.end();
      await store.close();
      await dropSchema(schema);
    }
  });
});

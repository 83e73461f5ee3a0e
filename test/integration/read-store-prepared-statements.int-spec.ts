import { CompiledQuery, sql } from 'kysely';
import { openReadStore } from '../../src/infrastructure/read-store/open-read-store';
import type { ReadStore, ReadStoreDialect } from '../../src/infrastructure/read-store/read-store';
import { dropSchema, TEST_POSTGRES_URL, uniqueSchemaName } from '../support/postgres';
import { describeOnReadStores, openTestReadStore } from '../support/read-store-targets';

const POINT_READ = 'SELECT name FROM people WHERE id = $1';

async function createPeople(store: ReadStore): Promise<void> {
  await sql`CREATE TABLE people (id integer PRIMARY KEY, name text NOT NULL)`.execute(store.db);
  await sql`INSERT INTO people (id, name) VALUES (1, 'Ada'), (2, 'Grace')`.execute(store.db);
}

const pointRead = (store: ReadStore, id: number) =>
  store.db.executeQuery<{ name: string }>(
    CompiledQuery.raw(store.dialect === 'sqlite' ? POINT_READ.replace('$1', '?') : POINT_READ, [
      id,
    ]),
  );

describeOnReadStores('read store: statements kept prepared', (dialect: ReadStoreDialect) => {
  it('answers each execution with its own parameters', async () => {
    const test = await openTestReadStore(dialect);
    try {
      await createPeople(test.store);
      test.store.keepPrepared(dialect === 'sqlite' ? POINT_READ.replace('$1', '?') : POINT_READ);
      const names = [];
      for (const id of [1, 2, 1, 3]) names.push((await pointRead(test.store, id)).rows);
      expect(names).toEqual([[{ name: 'Ada' }], [{ name: 'Grace' }], [{ name: 'Ada' }], []]);
    } finally {
      await test.dispose();
    }
  });

  if (dialect === 'postgres') {
    it('is parsed once per connection as a named statement; other statements are not', async () => {
      const schema = uniqueSchemaName('prep');
      // One connection, so every query below runs in the session that holds the statements.
      const store = await openReadStore({
        kind: 'postgres',
        url: TEST_POSTGRES_URL,
        schema,
        maxConnections: 1,
      });
      try {
        await createPeople(store);
        store.keepPrepared(POINT_READ);
        await pointRead(store, 1);
        await pointRead(store, 2);
        await store.db.executeQuery(CompiledQuery.raw('SELECT id FROM people WHERE id = $1', [1]));
        const prepared = await sql<{ name: string; statement: string }>`
          SELECT name, statement FROM pg_prepared_statements ORDER BY name`.execute(store.db);
        expect(prepared.rows).toEqual([{ name: 'kept_1', statement: POINT_READ }]);
      } finally {
        await store.close();
        await dropSchema(schema);
      }
    });
  }
});

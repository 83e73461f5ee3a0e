import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { Kysely, sql, SqliteDialect } from 'kysely';
import { contactsProjection } from '../../projections/contacts/contacts.projection';
import type { ContactsReadModel } from '../../projections/contacts/contacts.table';
import { parseContactSearchRequest } from '../../src/contacts/search/contact-search.parse';
import { searchContacts } from '../../src/contacts/search/search-contacts';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite/sqlite-event-store';
import { ProjectionRunner } from '../../src/projection-runner/projection-runner';
import { contactStreamId } from '../../src/shared/stream-names';
import { eventually } from '../support/eventually';
import type { ReadStoreDialect } from '../../src/infrastructure/read-store/read-store';
import {
  describeOnReadStores,
  openTestReadStore,
  type TestReadStore,
} from '../support/read-store-targets';

const WORKSPACE = 'ws_statistics';
const CONTACTS = 3000;

const contactId = (n: number) => `65f0${n.toString(16).padStart(20, '0')}`;

function createUser(events: SqliteEventStore, n: number) {
  return events.append(
    contactStreamId(WORKSPACE, contactId(n)),
    [
      {
        id: randomUUID(),
        type: 'UserCreated',
        data: {
          contactId: contactId(n),
          workspaceId: WORKSPACE,
          createdAt: 1_700_000_000 + n,
          attributes: { email: `person${n}@example.com`, name: `Person ${n}` },
        },
        metadata: { workspaceId: WORKSPACE, occurredAt: Date.now() },
      },
    ],
    { expectedRevision: 'no_stream' },
  );
}

/** How SQLite plans an email search on the contacts table, seen by a fresh connection. */
async function emailSearchPlan(file: string, table: string): Promise<string> {
  const database = new Database(file, { readonly: true });
  const queries: Array<{ sql: string; parameters: readonly unknown[] }> = [];
  const db = new Kysely<unknown>({
    dialect: new SqliteDialect({ database }),
    log: (event) => {
      if (event.level === 'query') queries.push(event.query);
    },
  });
  try {
    await searchContacts(
      { db, dialect: 'sqlite', table },
      { workspaceId: WORKSPACE },
      parseContactSearchRequest(
        { query: { field: 'email', operator: '=', value: 'person7@example.com' } },
        { customAttributeType: () => undefined },
      ),
    );
    const page = queries[0]!;
    const plan = database
      .prepare(`EXPLAIN QUERY PLAN ${page.sql}`)
      .all(...page.parameters) as Array<{ detail: string }>;
    return plan.map((step) => step.detail).join('; ');
  } finally {
    await db.destroy();
  }
}

/** A runner of the contacts projection refreshing statistics every 20 ms, live over an empty log. */
async function withRunnerLiveOnNothing(
  dialect: ReadStoreDialect,
  test: (setup: {
    events: SqliteEventStore;
    target: TestReadStore;
    runner: ProjectionRunner;
  }) => Promise<void>,
): Promise<void> {
  const events = SqliteEventStore.open();
  const target = await openTestReadStore(dialect);
  const runner = new ProjectionRunner(events, target.store, [contactsProjection], {
    statisticsIntervalMs: 20,
  });
  try {
    await runner.start();
    await eventually(
      async () => ((await runner.status())[0]?.state === 'live' ? true : undefined),
      10_000,
      'the first catch-up, over no contact',
    );
    await test({ events, target, runner });
  } finally {
    await runner.stop();
    await target.dispose();
    await events.close();
  }
}

describe('read store planner statistics [sqlite]', () => {
  it('are refreshed while a workspace grows from nothing, so an email search keeps using its index', async () => {
    await withRunnerLiveOnNothing('sqlite', async ({ events, target, runner }) => {
      // The first catch-up analyzed the empty tables: with those statistics SQLite would walk the
      // created_at index of the whole workspace for an email search.
      for (let start = 0; start < CONTACTS; start += 500) {
        await Promise.all(
          Array.from({ length: 500 }, (_, offset) => {
            const n = start + offset;
            return createUser(events, n);
          }),
        );
      }
      expect(await runner.waitFor(await events.headPosition(), 30_000)).toBe(true);

      const file = (target.config as { file: string }).file;
      const table = runner.tables<ContactsReadModel>('contacts')('contacts');
      const plan = await eventually(
        async () => {
          const current = await emailSearchPlan(file, table);
          return current.includes('search_email') ? current : undefined;
        },
        10_000,
        'an email search planned on the email index',
      );
      expect(plan).toMatch(/USING INDEX \w+_search_email \(workspace_id=\? AND <expr>=\?\)/);
    });
  });
});

describeOnReadStores('a build that caught up', (dialect) => {
  if (dialect !== 'postgres') return;

  it('has its tables analyzed at once, whether or not autovacuum runs (PostgreSQL)', async () => {
    const events = SqliteEventStore.open();
    const target = await openTestReadStore('postgres');
    const runner = new ProjectionRunner(events, target.store, [contactsProjection]);
    try {
      for (let n = 0; n < 200; n += 1) await createUser(events, n);
      await runner.start();
      await eventually(
        async () => ((await runner.status())[0]?.state === 'live' ? true : undefined),
        10_000,
        'the first catch-up',
      );
      const table = runner.tables<ContactsReadModel>('contacts')('contacts');
      // -1: never analyzed (PostgreSQL 14 and later); ANALYZE sets the row count it found. The
      // feed reports live just before its first catch-up's ANALYZE ends: wait that moment out,
      // well short of any periodic refresh (15 s).
      const analyzed = await eventually(
        async () => {
          const { rows } = await sql<{ reltuples: number }>`SELECT reltuples FROM pg_class
            WHERE relname = ${table} AND relnamespace = current_schema()::regnamespace`.execute(
            target.store.db,
          );
          const counts = rows.map((row) => Number(row.reltuples));
          return counts[0] === -1 ? undefined : counts;
        },
        5_000,
        'the ANALYZE of the first catch-up',
      );
      expect(analyzed).toEqual([200]);
    } finally {
      await runner.stop();
      await target.dispose();
      await events.close();
    }
  });

  it('has its tables analyzed again as they grow, whether or not autovacuum runs (PostgreSQL)', async () => {
    await withRunnerLiveOnNothing('postgres', async ({ events, target, runner }) => {
      for (let n = 0; n < 1000; n += 1) await createUser(events, n);
      expect(await runner.waitFor(await events.headPosition(), 30_000)).toBe(true);
      const table = runner.tables<ContactsReadModel>('contacts')('contacts');
      const analyzedRows = await eventually(
        async () => {
          const { rows } = await sql<{ reltuples: number }>`SELECT reltuples FROM pg_class
            WHERE relname = ${table} AND relnamespace = current_schema()::regnamespace`.execute(
            target.store.db,
          );
          const found = Number(rows[0]?.reltuples);
          return found === 1000 ? found : undefined;
        },
        10_000,
        'the grown table analyzed',
      );
      expect(analyzedRows).toBe(1000);
    });
  });
});

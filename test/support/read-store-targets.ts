import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openReadStore } from '../../src/infrastructure/read-store/open-read-store';
import type {
  ReadStore,
  ReadStoreConfig,
  ReadStoreDialect,
} from '../../src/infrastructure/read-store/read-store';
import type { AnyProjection } from '../../src/projection-runner/projection';
import {
  dropSchema,
  postgresAvailability,
  postgresRequired,
  TEST_POSTGRES_URL,
  uniqueSchemaName,
} from './postgres';

/** A private read-store database for one test: a fresh SQLite file or a fresh PostgreSQL schema. */
export interface TestReadStore {
  readonly store: ReadStore;
  readonly config: ReadStoreConfig;
  /** Another, independent connection to the same database (a second process, an observer). */
  openAnother(): Promise<ReadStore>;
  /** Names of the tables in this test's database. */
  tableNames(): Promise<string[]>;
  dispose(): Promise<void>;
}

export async function openTestReadStore(dialect: ReadStoreDialect): Promise<TestReadStore> {
  let config: ReadStoreConfig;
  let cleanup: () => Promise<void>;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'read-store-'));
    config = { kind: 'sqlite', file: join(dir, 'read-models.sqlite') };
    cleanup = () => Promise.resolve(rmSync(dir, { recursive: true, force: true }));
  } else {
    const schema = uniqueSchemaName('rs');
    config = { kind: 'postgres', url: TEST_POSTGRES_URL, schema, maxConnections: 4 };
    cleanup = () => dropSchema(schema);
  }
  const store = await openReadStore(config);
  const others: ReadStore[] = [];
  return {
    store,
    config,
    openAnother: async () => {
      const other = await openReadStore(config);
      others.push(other);
      return other;
    },
    tableNames: async () => {
      const query =
        dialect === 'sqlite'
          ? sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
          : sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables
              WHERE table_schema = current_schema() ORDER BY table_name`;
      return (await query.execute(store.db)).rows.map((row) => row.name);
    },
    dispose: async () => {
      for (const other of others) await other.close();
      await store.close();
      await cleanup();
    },
  };
}

/**
 * Registers `suite` once per read-store dialect (`<title> [sqlite]`, `<title> [postgres]`).
 * PostgreSQL cases are not registered when it is unreachable (with a note saying how many and
 * why), unless `REQUIRE_POSTGRES=1`, where an unreachable PostgreSQL fails the run.
 */
export function describeOnReadStores(
  title: string,
  suite: (dialect: ReadStoreDialect) => void,
): void {
  describe(`${title} [sqlite]`, () => suite('sqlite'));
  const postgres = postgresAvailability();
  if (postgres.reachable) {
    describe(`${title} [postgres]`, () => suite('postgres'));
  } else if (postgresRequired()) {
    describe(`${title} [postgres]`, () => {
      it('needs a reachable PostgreSQL (REQUIRE_POSTGRES=1)', () => {
        throw new Error(`PostgreSQL is unreachable: ${postgres.reason}`);
      });
    });
  } else {
    describe(`${title} [postgres]`, () => {
      const left = countWithoutRegistering(() => suite('postgres'));
      process.stderr.write(
        `\n[${title}] PostgreSQL unreachable (${postgres.reason}): ${left} PostgreSQL test(s) not registered. ` +
          'Set REQUIRE_POSTGRES=1 to fail instead.\n',
      );
    });
  }
}

/**
 * Runs `register` with `it`/`test` replaced by counters, inside a describe block that then holds
 * no test (so jest runs none of its hooks either).
 */
function countWithoutRegistering(register: () => void): number {
  const scope = globalThis as unknown as Record<string, unknown>;
  // Hooks too: jest refuses a describe block that has hooks but no tests.
  const replaced = ['it', 'test', 'beforeAll', 'afterAll', 'beforeEach', 'afterEach'] as const;
  const original = Object.fromEntries(replaced.map((name) => [name, scope[name]]));
  let count = 0;
  const counter = Object.assign(
    () => {
      count += 1;
    },
    original.it as jest.It,
    {
      // `it.each(table)(name, fn)` registers one test per row.
      each: (table: readonly unknown[]) => () => {
        count += table.length;
      },
    },
  );
  const ignore = () => undefined;
  Object.assign(scope, {
    it: counter,
    test: counter,
    beforeAll: ignore,
    afterAll: ignore,
    beforeEach: ignore,
    afterEach: ignore,
  });
  try {
    register();
  } finally {
    Object.assign(scope, original);
  }
  return count;
}

/**
 * A projection's read model empty again under its logical table names: its tables dropped and its
 * migrations run, as a property test needs before each generated run.
 */
export async function resetProjectionTables(
  store: ReadStore,
  projection: AnyProjection,
): Promise<void> {
  for (const table of projection.tables)
    await store.db.schema.dropTable(table).ifExists().execute();
  for (const migration of projection.migrations) await migration.up(store.db, (name) => name);
}

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { ReadStore, ReadStoreLock } from './read-store';
import { withStatementCache } from './sqlite-statement-cache';
import { startWalCheckpointer } from './sqlite-wal-checkpointer';

/** What the write-ahead log is cut back to once checkpointed (it grows past it during a write burst). */
const READ_STORE_WAL_LIMIT_BYTES = 64 * 1024 ** 2;

/** Address space, not memory: the OS keeps in RAM only the pages read, as its file cache would. */
const READ_STORE_MMAP_BYTES = 2 * 1024 ** 3;

/**
 * The embedded read store: one SQLite file in WAL mode, written by the projections through one
 * connection and read by the API through another, so a read never waits for a projection's
 * transaction (Kysely gives a transaction its connection until it ends) and sees only committed
 * rows. An in-memory database is private to its connection: there, both are one.
 */
export function openSqliteReadStore(
  file: string,
  options: { readonly walLimitBytes?: number } = {},
): ReadStore {
  const inMemory = file === ':memory:';
  if (!inMemory) mkdirSync(dirname(file), { recursive: true });
  const database = new Database(file, { timeout: 5000 });
  database.pragma('journal_mode = WAL');
  // NORMAL in WAL keeps every commit atomic (rows and checkpoint together); a power loss can only
  // lose the last commits, which the runner replays from the older checkpoint it then finds.
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  // A replay or rebuild grows the log by gigabytes while readers keep old snapshots; SQLite
  // reuses a log from its start but never shrinks it unless told to, when it starts it over.
  database.pragma(`journal_size_limit = ${options.walLimitBytes ?? READ_STORE_WAL_LIMIT_BYTES}`);
  const checkpointer = inMemory
    ? undefined
    : startWalCheckpointer(file, () => database.pragma('wal_autocheckpoint = 1000'));
  if (checkpointer) database.pragma('wal_autocheckpoint = 0');
  const kysely = (connection: Database.Database) => {
    // Pages read through a memory map instead of a read() into SQLite's own 2 MB cache each: a
    // point read over 100,000 contacts drops from ~13 µs to ~10.5 µs. Writes still go to the WAL.
    if (!inMemory) connection.pragma(`mmap_size = ${READ_STORE_MMAP_BYTES}`);
    return new Kysely<unknown>({
      dialect: new SqliteDialect({ database: withStatementCache(connection) }),
    });
  };
  const db = kysely(database);
  const reader = inMemory ? undefined : new Database(file, { readonly: true, timeout: 5000 });
  const queryDb = reader === undefined ? db : kysely(reader);
  const granted: ReadStoreLock = { release: () => Promise.resolve(), held: () => true };
  return {
    dialect: 'sqlite',
    db,
    queryDb,
    // Not in memory: there the one connection may be inside a projection's transaction, which a
    // synchronous read would see uncommitted (Kysely's reads wait for it to end).
    ...(reader === undefined ? {} : { pointRead: pointReadsOn(reader) }),
    tryLock: () => Promise.resolve(granted),
    optimize: () => {
      // 0x10002: also analyze tables that were never analyzed; the limit keeps it fast on big tables.
      database.pragma('analysis_limit = 1000');
      database.pragma('optimize = 0x10002');
      return Promise.resolve();
    },
    keepPrepared: () => undefined,
    close: async () => {
      await checkpointer?.stop();
      if (reader !== undefined) await queryDb.destroy();
      await db.destroy();
    },
  };
}

/** `ReadStore.pointRead` on `connection`, each text prepared once. */
function pointReadsOn(connection: Database.Database): NonNullable<ReadStore['pointRead']> {
  const statements = new Map<string, Database.Statement>();
  return (text, parameters) => {
    let statement = statements.get(text);
    if (statement === undefined) {
      // A few texts per build of a table; builds come and go with rebuilds.
      if (statements.size >= 64) statements.clear();
      statement = connection.prepare(text);
      statements.set(text, statement);
    }
    return statement.get(...parameters);
  };
}

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { ReadStore, ReadStoreLock } from './read-store';
import { withStatementCache } from './sqlite-statement-cache';
import { startWalCheckpointer } from './sqlite-wal-checkpointer';

/** Address space, not memory: the OS keeps in RAM only the pages read, as its file cache would. */
const READ_STORE_MMAP_BYTES = 2 * 1024 ** 3;

/** The embedded read store: one SQLite file in WAL mode, so readers never block the runner's writes. */
export function openSqliteReadStore(file: string): ReadStore {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new Database(file, { timeout: 5000 });
  database.pragma('journal_mode = WAL');
  // NORMAL in WAL keeps every commit atomic (rows and checkpoint together); a power loss can only
  // lose the last commits, which the runner replays from the older checkpoint it then finds.
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  // Pages read through a memory map instead of a read() into SQLite's own 2 MB cache each: a
  // point read over 100,000 contacts drops from ~13 µs to ~10 µs. Writes still go through the WAL.
  if (file !== ':memory:') database.pragma(`mmap_size = ${READ_STORE_MMAP_BYTES}`);
  const checkpointer =
    file === ':memory:'
      ? undefined
      : startWalCheckpointer(file, () => database.pragma('wal_autocheckpoint = 1000'));
  if (checkpointer) database.pragma('wal_autocheckpoint = 0');
  const db = new Kysely<unknown>({
    dialect: new SqliteDialect({ database: withStatementCache(database) }),
  });
  const granted: ReadStoreLock = { release: () => Promise.resolve() };
  return {
    dialect: 'sqlite',
    db,
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
      await db.destroy();
    },
  };
}

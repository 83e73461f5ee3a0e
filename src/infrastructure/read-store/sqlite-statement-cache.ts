import type Database from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * Kysely's SQLite driver prepares every query anew, which costs more than running it for the
 * point reads that dominate API traffic. This keeps the most recent statements prepared. `all` and
 * `run` finish synchronously, so sharing one statement is safe; `iterate` keeps a statement busy
 * across awaits, so it always gets a fresh one.
 */
const NOTHING_TO_ROLL_BACK: SqliteStatement = {
  reader: false,
  all: () => [],
  run: () => ({ changes: 0, lastInsertRowid: 0 }),
  iterate: () => [][Symbol.iterator](),
};

export function withStatementCache(database: Database.Database, capacity = 500): SqliteDatabase {
  const cache = new Map<string, Database.Statement>();
  const prepared = (sql: string): Database.Statement => {
    let statement = cache.get(sql);
    if (statement) {
      // Re-insert to keep the map in least-recently-used order.
      cache.delete(sql);
    } else {
      statement = database.prepare(sql);
      if (cache.size >= capacity) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, statement);
    return statement;
  };
  return {
    close: () => database.close(),
    prepare: (sql: string): SqliteStatement => {
      // SQLite ends a transaction itself on some errors (a full disk, an I/O error): rolling
      // back then fails with "no transaction is active", which would replace the error that
      // says what happened.
      if (sql === 'rollback' && !database.inTransaction) return NOTHING_TO_ROLL_BACK;
      const statement = prepared(sql);
      return {
        reader: statement.reader,
        all: (parameters) => statement.all(parameters),
        run: (parameters) => statement.run(parameters),
        iterate: (parameters) => database.prepare(sql).iterate(parameters),
      };
    },
  };
}

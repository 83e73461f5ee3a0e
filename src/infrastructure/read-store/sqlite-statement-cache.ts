import type Database from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * Kysely's SQLite driver prepares every query anew, which costs more than running it for the
 * point reads that dominate API traffic. This keeps the most recent statements prepared. `all` and
 * `run` finish synchronously, so sharing one statement is safe; `iterate` keeps a statement busy
 * across awaits, so it always gets a fresh one.
 */
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

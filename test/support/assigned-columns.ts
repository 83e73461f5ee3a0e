import { sql, type Kysely } from 'kysely';
import type { ReadStoreDialect } from '../../src/infrastructure/read-store/read-store';

/**
 * Records, per row of `table` (by its `id`), the columns each UPDATE assigns, equal value or not:
 * an `AFTER UPDATE OF <column>` trigger per column fires exactly when the column is in the SET
 * list (of an UPDATE or of an upsert's DO UPDATE), which is also when SQLite rewrites the indexes
 * on it. `since()` answers the columns assigned since it was last asked, as sorted `id:column`
 * strings; `dispose()` drops the triggers and the log.
 */
export async function recordAssignedColumns(
  db: Kysely<unknown>,
  dialect: ReadStoreDialect,
  table: string,
  columns: readonly string[],
): Promise<{ since(): Promise<string[]>; dispose(): Promise<void> }> {
  const log = `${table}_assigned`;
  await sql`CREATE TABLE ${sql.id(log)} (row_id text NOT NULL, column_name text NOT NULL)`.execute(
    db,
  );
  if (dialect === 'postgres') {
    await sql`CREATE OR REPLACE FUNCTION ${sql.id(`${log}_note`)}() RETURNS trigger AS $$
      BEGIN
        EXECUTE format('INSERT INTO %I VALUES ($1, $2)', TG_ARGV[0]) USING NEW.id, TG_ARGV[1];
        RETURN NULL;
      END $$ LANGUAGE plpgsql`.execute(db);
  }
  for (const column of columns) {
    const trigger = sql.id(`${log}_${column}`);
    if (dialect === 'postgres') {
      await sql`CREATE TRIGGER ${trigger} AFTER UPDATE OF ${sql.id(column)} ON ${sql.id(table)}
        FOR EACH ROW EXECUTE FUNCTION ${sql.id(`${log}_note`)}(${sql.lit(log)}, ${sql.lit(column)})`.execute(
        db,
      );
    } else {
      await sql`CREATE TRIGGER ${trigger} AFTER UPDATE OF ${sql.id(column)} ON ${sql.id(table)}
        BEGIN INSERT INTO ${sql.id(log)} VALUES (NEW.id, ${sql.lit(column)}); END`.execute(db);
    }
  }
  return {
    async since() {
      const { rows } = await sql<{
        row_id: string;
        column_name: string;
      }>`SELECT row_id, column_name FROM ${sql.id(log)}`.execute(db);
      await sql`DELETE FROM ${sql.id(log)}`.execute(db);
      return rows.map((row) => `${row.row_id}:${row.column_name}`).sort();
    },
    async dispose() {
      for (const column of columns) {
        const trigger = sql.id(`${log}_${column}`);
        if (dialect === 'postgres') {
          await sql`DROP TRIGGER ${trigger} ON ${sql.id(table)}`.execute(db);
        } else {
          await sql`DROP TRIGGER ${trigger}`.execute(db);
        }
      }
      await sql`DROP TABLE ${sql.id(log)}`.execute(db);
    },
  };
}

import { CompiledQuery, PostgresAdapter, type Kysely } from 'kysely';
import { insertRows, quoted, upsertClause } from './raw-insert';

/**
 * A batch's writes to a table of rows it loaded before folding its events into them: a new row is
 * inserted whole, a loaded row gets only the columns whose values changed, and an unchanged row
 * is not written.
 *
 * Setting a column makes SQLite rewrite the row's entry in every index on it, equal value or not
 * (it decides which indexes an UPDATE maintains from the SET list, when compiling), so setting
 * every column rewrote every index entry of the row. In SQLite a loaded row is updated by a
 * statement of its own: on a wide table a multi-row upsert cost about half as much again per row
 * as single-row UPDATEs (measured on the contacts table and its indexes, through Kysely), and a
 * row loaded in the same transaction exists. PostgreSQL gets one multi-row upsert per set of
 * changed columns instead: a statement per row would be a round trip per row.
 *
 * `columns` are all of a row's columns, `key` the primary key; rows must have every column.
 * `valuesOf` gives a row's values in `columns` order: compared through `row[column]` (one
 * property read for every column name) a loaded contact row cost ~1.4 µs, through a function of
 * named reads (`contactValuesOf`) ~0.45 µs, and every contact a batch changes is compared.
 */
export class RowWrites<Row extends object> {
  private readonly inserts: Row[] = [];
  private readonly updates = new Map<string, { columns: (keyof Row & string)[]; rows: Row[] }>();
  private readonly updatable: readonly (keyof Row & string)[];
  private readonly updatableIndexes: readonly number[];

  constructor(
    private readonly columns: readonly (keyof Row & string)[],
    private readonly key: readonly (keyof Row & string)[],
    private readonly valuesOf: (row: Row) => readonly unknown[] = (row) =>
      columns.map((column) => row[column]),
  ) {
    this.updatable = columns.filter((column) => !key.includes(column));
    this.updatableIndexes = this.updatable.map((column) => columns.indexOf(column));
  }

  /** `next` is the row after the batch; `stored` the row as loaded, if there was one. */
  add(stored: Row | undefined, next: Row): void {
    if (stored === undefined) {
      this.inserts.push(next);
      return;
    }
    const before = this.valuesOf(stored);
    const after = this.valuesOf(next);
    let changed: (keyof Row & string)[] | undefined;
    for (const index of this.updatableIndexes) {
      if (before[index] === after[index] || sameValue(before[index], after[index])) continue;
      (changed ??= []).push(this.columns[index]!);
    }
    if (changed === undefined) return;
    const shape = changed.join(',');
    const group = this.updates.get(shape);
    if (group) group.rows.push(next);
    else this.updates.set(shape, { columns: changed, rows: [next] });
  }

  /** `table` is the physical name (see `insertRows`). */
  async flush(db: Kysely<unknown>, table: string): Promise<void> {
    // The conflict clauses guard a row written (or gone) since the batch loaded its rows.
    const everything = upsertClause(this.key, this.updatable);
    await insertRows(db, table, this.columns, this.inserts, everything);
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    for (const { columns, rows } of this.updates.values()) {
      if (postgres) {
        await insertRows(db, table, this.columns, rows, upsertClause(this.key, columns));
        continue;
      }
      const text = updateText(table, this.key, columns);
      const missing: Row[] = [];
      // On the transaction's connection itself, taken once for the run, with the query built
      // once: through `executeQuery` each UPDATE went through Kysely's connection hand-over and
      // result plugins and froze a query of its own (~1.5 µs and several promises apiece), and
      // a batch runs one per contact it changed.
      const statement = CompiledQuery.raw(text);
      await db.getExecutor().provideConnection(async (connection) => {
        for (const row of rows) {
          const parameters: unknown[] = [];
          for (const column of columns) parameters.push(row[column] ?? null);
          for (const column of this.key) parameters.push(row[column]);
          const result = await connection.executeQuery({
            sql: statement.sql,
            query: statement.query,
            queryId: statement.queryId,
            parameters,
          });
          if (result.numAffectedRows === 0n) missing.push(row);
        }
      });
      // As the upsert would have: a row gone since it was loaded is written whole.
      await insertRows(db, table, this.columns, missing, everything);
    }
  }
}

const updateTexts = new Map<string, string>();

/** `UPDATE <table> SET c = ?, ... WHERE k = ? AND ...`, built once per table and column set. */
function updateText(table: string, key: readonly string[], columns: readonly string[]): string {
  const cacheKey = `${table}\u0000${key.join(',')}\u0000${columns.join(',')}`;
  const known = updateTexts.get(cacheKey);
  if (known !== undefined) return known;
  const text =
    `UPDATE ${quoted(table)} SET ${columns.map((column) => `${quoted(column)} = ?`).join(', ')}` +
    ` WHERE ${key.map((column) => `${quoted(column)} = ?`).join(' AND ')}`;
  // Physical table names change with every rebuild: keep the cache from growing without bound.
  if (updateTexts.size >= 1_000) updateTexts.clear();
  updateTexts.set(cacheKey, text);
  return text;
}

/**
 * Whether a loaded value and the one the fold computed are the same. PostgreSQL reads `bigint`
 * back as text and `jsonb` back parsed, which the fold writes as numbers and JSON text; a
 * mismatch (jsonb orders an object's keys its own way) only costs a redundant assignment.
 */
export function sameValue(stored: unknown, next: unknown): boolean {
  if (stored === next) return true;
  if (typeof stored === 'string') return typeof next === 'number' && stored === String(next);
  if (stored !== null && typeof stored === 'object') {
    return typeof next === 'string' && JSON.stringify(stored) === next;
  }
  return false;
}

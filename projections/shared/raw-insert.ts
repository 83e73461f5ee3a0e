import { CompiledQuery, PostgresAdapter, type Kysely } from 'kysely';

/** Rows per statement: well under both databases' limits on bound parameters. */
const MAX_ROWS = 256;

const texts = new Map<string, string>();

/**
 * A multi-row INSERT written as SQL text with placeholders. Kysely's `values()` parses, builds
 * and compiles an operation tree for every row of every insert, which showed as a measurable share
 * of the projections' time (each new contact writes ~35 membership rows, and every event rewrites
 * a contacts row). The text depends only on (table, columns, row count, conflict and returning
 * clauses), so it is built once, and the read store's statement cache keeps it prepared.
 *
 * `table` is the physical name (`tables(logical)`): a compiled query bypasses the runner's
 * table-renaming plugin, so the clauses must name physical tables too. A batch is cut into chunks
 * of `MAX_ROWS` and then powers of two, so a table's inserts use at most nine distinct statements
 * instead of one per remainder size.
 *
 * `returning` (e.g. `RETURNING "value", "count"`) collects the returned rows of every chunk; both
 * dialects support it on an upsert, where it returns the row as written.
 */
export async function insertRows<Row, Returned = never>(
  db: Kysely<unknown>,
  table: string,
  columns: readonly (keyof Row & string)[],
  rows: readonly Row[],
  onConflict = '',
  returning = '',
): Promise<Returned[]> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const returned: Returned[] = [];
  let index = 0;
  while (index < rows.length) {
    const size = chunkSize(rows.length - index);
    const parameters: unknown[] = [];
    for (let row = index; row < index + size; row += 1) {
      const values = rows[row]!;
      for (const column of columns) parameters.push(values[column] ?? null);
    }
    const text = statementText(postgres, table, columns, size, onConflict, returning);
    const result = await db.executeQuery<Returned>(CompiledQuery.raw(text, parameters));
    if (returning !== '') returned.push(...result.rows);
    index += size;
  }
  return returned;
}

/**
 * `ON CONFLICT (<key>) DO UPDATE SET c = excluded.c, ...` for `updated`; cached because the
 * contacts projection asks for it once per group of rows on every batch.
 */
export function upsertClause(key: readonly string[], updated: readonly string[]): string {
  const cacheKey = `upsert\u0000${key.join(',')}\u0000${updated.join(',')}`;
  const known = texts.get(cacheKey);
  if (known !== undefined) return known;
  const text =
    `ON CONFLICT (${key.map(quoted).join(', ')}) DO UPDATE SET ` +
    updated.map((column) => `${quoted(column)} = excluded.${quoted(column)}`).join(', ');
  remember(cacheKey, text);
  return text;
}

function chunkSize(remaining: number): number {
  if (remaining >= MAX_ROWS) return MAX_ROWS;
  let size = 1;
  while (size * 2 <= remaining) size *= 2;
  return size;
}

export const quoted = (identifier: string): string => `"${identifier.replaceAll('"', '""')}"`;

function statementText(
  postgres: boolean,
  table: string,
  columns: readonly string[],
  rows: number,
  onConflict: string,
  returning: string,
): string {
  const key = `${postgres ? 'pg' : 'sqlite'}\u0000${table}\u0000${columns.join(',')}\u0000${rows}\u0000${onConflict}\u0000${returning}`;
  const known = texts.get(key);
  if (known !== undefined) return known;
  const tuples: string[] = [];
  let parameter = 0;
  for (let row = 0; row < rows; row += 1) {
    const placeholders = columns.map(() => (postgres ? `$${++parameter}` : '?'));
    tuples.push(`(${placeholders.join(', ')})`);
  }
  const text =
    `INSERT INTO ${quoted(table)} (${columns.map(quoted).join(', ')}) VALUES ${tuples.join(', ')}` +
    (onConflict === '' ? '' : ` ${onConflict}`) +
    (returning === '' ? '' : ` ${returning}`);
  remember(key, text);
  return text;
}

function remember(key: string, text: string): void {
  // Physical table names change with every rebuild: keep the cache from growing without bound.
  if (texts.size >= 1_000) texts.clear();
  texts.set(key, text);
}

import { CompiledQuery, PostgresAdapter, type Kysely } from 'kysely';
import { quoted } from './raw-insert';

/** Ids per statement; a shorter list is padded up to a power of two (see `selectByIds`). */
const MAX_IDS = 512;

const texts = new Map<string, string>();

/**
 * The rows of a workspace's `ids` (the key being `workspace_id` and `idColumn`), each read back
 * as the JSON array of its `columns` and decoded by `decode` (`values[i]` is `columns[i]`).
 *
 * Both drivers build a row object column by column: for the contact tables' ~40 columns that was
 * most of a batch's load (better-sqlite3 at ~18 µs a row over 500 rows, where the lookups
 * themselves took ~1.5 µs). One JSON text a row, parsed by `JSON.parse` and decoded by an object
 * literal, costs about a third. Values come back as both drivers read them, except PostgreSQL's
 * `bigint`, which arrives as a number rather than text (every reader converts it with `Number`,
 * and `sameValue` accepts either); `jsonb` arrives parsed, as it does through the driver.
 *
 * `table` is the physical name (a compiled query bypasses the runner's table renaming). The
 * id list is padded with its last id to a power of two, so a table's loads use at most ten
 * statement texts, which the read store keeps prepared.
 */
export async function selectByIds<Row>(
  db: Kysely<unknown>,
  table: string,
  idColumn: string,
  columns: readonly string[],
  decode: (values: readonly unknown[]) => Row,
  workspaceId: string,
  ids: readonly string[],
): Promise<Row[]> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const rows: Row[] = [];
  for (let index = 0; index < ids.length; index += MAX_IDS) {
    const chunk = ids.slice(index, index + MAX_IDS);
    const size = paddedSize(chunk.length);
    const last = chunk[chunk.length - 1]!;
    const parameters: unknown[] = [workspaceId, ...chunk];
    while (parameters.length < size + 1) parameters.push(last);
    const text = selectText(postgres, table, idColumn, columns, size);
    const result = await db.executeQuery<{ v: unknown }>(CompiledQuery.raw(text, parameters));
    for (const { v } of result.rows) {
      // PostgreSQL's driver parses `json` itself; SQLite returns the text.
      rows.push(decode((typeof v === 'string' ? JSON.parse(v) : v) as unknown[]));
    }
  }
  return rows;
}

function paddedSize(count: number): number {
  let size = 1;
  while (size < count) size *= 2;
  return size;
}

function selectText(
  postgres: boolean,
  table: string,
  idColumn: string,
  columns: readonly string[],
  ids: number,
): string {
  const key = `${postgres ? 'pg' : 'sqlite'}\u0000${table}\u0000${idColumn}\u0000${columns.join(',')}\u0000${ids}`;
  const known = texts.get(key);
  if (known !== undefined) return known;
  const placeholders: string[] = [];
  for (let id = 0; id < ids; id += 1) placeholders.push(postgres ? `$${id + 2}` : '?');
  const text =
    `SELECT ${postgres ? 'json_build_array' : 'json_array'}(${columns.map(quoted).join(', ')}) AS v` +
    ` FROM ${quoted(table)} WHERE "workspace_id" = ${postgres ? '$1' : '?'}` +
    ` AND ${quoted(idColumn)} IN (${placeholders.join(', ')})`;
  // Physical table names change with every rebuild: keep the cache from growing without bound.
  if (texts.size >= 1_000) texts.clear();
  texts.set(key, text);
  return text;
}

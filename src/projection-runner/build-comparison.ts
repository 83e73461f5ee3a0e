import { isDeepStrictEqual } from 'node:util';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { ReadStore } from '../infrastructure/read-store/read-store';
import type { ProjectionBuild } from './projection-registry';

type Row = Readonly<Record<string, unknown>>;

/**
 * The first place two builds of a projection disagree, in primary-key order: a column of a row
 * both have, or a row only one has (`column` undefined, the other side undefined).
 */
export interface RowDifference {
  /** The logical table. */
  readonly table: string;
  /** The row's primary key, column by column. */
  readonly key: Readonly<Record<string, unknown>>;
  readonly column: string | undefined;
  /** The live build's value (its row when only it has one); undefined: no such row. */
  readonly live: unknown;
  /** The rebuilt build's value (its row when only it has one); undefined: no such row. */
  readonly rebuilt: unknown;
}

export type BuildComparison =
  | { readonly identical: true; readonly rows: number; readonly tables: number }
  | { readonly identical: false; readonly difference: RowDifference };

export interface BuildComparisonOptions {
  /** Rows read per query from each side. Default 1,000. */
  readonly chunkSize?: number;
  /** Asked between chunks: true ends the comparison with an error (the runner stopping). */
  readonly cancelled?: () => boolean;
}

/**
 * Compares two builds of one projection row for row, table by table in the definition's order,
 * each in primary-key order as the database orders it (its collations, on both dialects), reading
 * both sides in chunks by keyset so neither is held in memory. Both builds must hold still while
 * it runs. Values compare as the driver returns them (a JSON column of PostgreSQL as its parsed
 * value, SQLite's as its text).
 */
export async function compareBuilds(
  store: ReadStore,
  tables: readonly string[],
  live: ProjectionBuild,
  rebuilt: ProjectionBuild,
  options: BuildComparisonOptions = {},
): Promise<BuildComparison> {
  const chunkSize = options.chunkSize ?? 1000;
  let rows = 0;
  for (const table of tables) {
    const livePhysical = physicalTable(live, table);
    const rebuiltPhysical = physicalTable(rebuilt, table);
    const key = await primaryKeyOf(store, livePhysical);
    const liveRows = new KeysetReader(store.db, livePhysical, key, chunkSize, options.cancelled);
    const rebuiltRows = new KeysetReader(
      store.db,
      rebuiltPhysical,
      key,
      chunkSize,
      options.cancelled,
    );
    for (;;) {
      const [liveRow, rebuiltRow] = [await liveRows.peek(), await rebuiltRows.peek()];
      if (liveRow === undefined && rebuiltRow === undefined) break;
      if (liveRow !== undefined && rebuiltRow !== undefined) {
        if (sameKey(key, liveRow, rebuiltRow)) {
          const column = differingColumn(liveRow, rebuiltRow);
          if (column !== undefined)
            return {
              identical: false,
              difference: {
                table,
                key: keyOf(key, liveRow),
                column,
                live: liveRow[column],
                rebuilt: rebuiltRow[column],
              },
            };
          rows += 1;
          liveRows.take();
          rebuiltRows.take();
          continue;
        }
        // Keys differ: the one the database orders first is a row the other side lacks.
        const liveFirst = await ordersBefore(store.db, livePhysical, key, liveRow, rebuiltRow);
        return {
          identical: false,
          difference: onlyOneSide(table, key, liveFirst, liveRow, rebuiltRow),
        };
      }
      return {
        identical: false,
        difference: onlyOneSide(table, key, liveRow !== undefined, liveRow, rebuiltRow),
      };
    }
  }
  return { identical: true, rows, tables: tables.length };
}

function onlyOneSide(
  table: string,
  key: readonly string[],
  inLive: boolean,
  liveRow: Row | undefined,
  rebuiltRow: Row | undefined,
): RowDifference {
  const row = (inLive ? liveRow : rebuiltRow) as Row;
  return {
    table,
    key: keyOf(key, row),
    column: undefined,
    live: inLive ? row : undefined,
    rebuilt: inLive ? undefined : row,
  };
}

function physicalTable(build: ProjectionBuild, logical: string): string {
  const physical = build.tables[logical];
  if (physical === undefined) throw new Error(`Build ${build.id} has no table ${logical}`);
  return physical;
}

/** The first column (in the live row's order, then any only the rebuilt row has) whose values differ. */
function differingColumn(liveRow: Row, rebuiltRow: Row): string | undefined {
  const columns = new Set([...Object.keys(liveRow), ...Object.keys(rebuiltRow)]);
  for (const column of columns) if (!sameValue(liveRow[column], rebuiltRow[column])) return column;
  return undefined;
}

function sameValue(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a, b);
}

function sameKey(key: readonly string[], a: Row, b: Row): boolean {
  return key.every((column) => sameValue(a[column], b[column]));
}

function keyOf(key: readonly string[], row: Row): Record<string, unknown> {
  return Object.fromEntries(key.map((column) => [column, row[column]]));
}

const rowValue = (key: readonly string[], row: Row): RawBuilder<unknown> =>
  sql`(${sql.join(key.map((column) => sql`${row[column]}`))})`;

const keyColumns = (key: readonly string[]): RawBuilder<unknown> =>
  sql`(${sql.join(key.map((column) => sql.ref(column)))})`;

/**
 * Whether the database orders `a`'s key before `b`'s, asked of a row of `table` holding `a`'s key
 * so the parameters take its columns' types and collations.
 */
async function ordersBefore(
  db: Kysely<unknown>,
  table: string,
  key: readonly string[],
  a: Row,
  b: Row,
): Promise<boolean> {
  const { rows } = await sql<{ found: number }>`
    SELECT 1 AS found FROM ${sql.table(table)}
    WHERE ${keyColumns(key)} = ${rowValue(key, a)} AND ${keyColumns(key)} < ${rowValue(key, b)}`.execute(
    db,
  );
  return rows.length > 0;
}

/** The primary key's columns in key order (every table a projection makes has one). */
async function primaryKeyOf(store: ReadStore, table: string): Promise<string[]> {
  const query =
    store.dialect === 'postgres'
      ? sql<{ name: string }>`
          SELECT a.attname AS name FROM pg_index i
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
          WHERE i.indrelid = to_regclass(${table}) AND i.indisprimary
          ORDER BY array_position(i.indkey::int2[], a.attnum)`
      : sql<{ name: string }>`
          SELECT name FROM pragma_table_info(${table}) WHERE pk > 0 ORDER BY pk`;
  const { rows } = await query.execute(store.db);
  if (rows.length === 0) throw new Error(`Table ${table} has no primary key to compare it by`);
  return rows.map((row) => row.name);
}

/** A table's rows in primary-key order, a chunk at a time. */
class KeysetReader {
  private chunk: Row[] = [];
  private index = 0;
  private exhausted = false;
  private last: Row | undefined;

  constructor(
    private readonly db: Kysely<unknown>,
    private readonly table: string,
    private readonly key: readonly string[],
    private readonly chunkSize: number,
    private readonly cancelled: (() => boolean) | undefined,
  ) {}

  async peek(): Promise<Row | undefined> {
    if (this.index < this.chunk.length) return this.chunk[this.index];
    if (this.exhausted) return undefined;
    if (this.cancelled?.()) throw new Error('The comparison was cancelled');
    const after =
      this.last === undefined
        ? sql``
        : sql`WHERE ${keyColumns(this.key)} > ${rowValue(this.key, this.last)}`;
    const { rows } = await sql<Row>`
      SELECT * FROM ${sql.table(this.table)} ${after}
      ORDER BY ${sql.join(this.key.map((column) => sql.ref(column)))}
      LIMIT ${this.chunkSize}`.execute(this.db);
    this.chunk = rows;
    this.index = 0;
    this.exhausted = rows.length < this.chunkSize;
    this.last = rows[rows.length - 1] ?? this.last;
    return this.chunk[0];
  }

  take(): void {
    this.index += 1;
  }
}

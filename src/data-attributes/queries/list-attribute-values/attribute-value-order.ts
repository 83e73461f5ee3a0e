import { sql, type Expression, type RawBuilder } from 'kysely';
import type { ReadStoreDialect } from '../../../infrastructure/read-store/read-store';
import type { DataType } from '../../domain/data-attribute.types';

type SortKey = RawBuilder<unknown>;

const NUMERIC_DATA_TYPES: ReadonlySet<DataType> = new Set(['integer', 'float', 'date']);

/**
 * SQL of the number a value (JSON text) stands for, or null: a JSON number, or a string of at most
 * 15 digits (an owner_id, which the answer shows as an integer, see `asDataType`). A JSON text
 * starting with a digit or a minus is a number, and nothing else is. PostgreSQL's `numeric` is
 * exact and SQLite's REAL is the double the value was written as: the two order alike. The guard
 * comes first in each, so that no other text is ever cast (a bare parameter cast to numeric would
 * be typed numeric, and its text cast before any guard: it is typed text first).
 */
const NUMBER_OF: Record<ReadStoreDialect, (value: Expression<string>) => SortKey> = {
  sqlite: (value) => sql`CASE
    WHEN ${value} GLOB '[0-9-]*' THEN CAST(${value} AS REAL)
    WHEN ${value} GLOB '"[0-9]*"' AND length(${value}) <= 17
      AND trim(${value}, '"') NOT GLOB '*[^0-9]*' THEN CAST(trim(${value}, '"') AS REAL)
  END`,
  postgres: (value) => sql`CASE
    WHEN ${value} ~ '^-?[0-9]' THEN CAST(CAST(${value} AS text) AS numeric)
    WHEN ${value} ~ '^"[0-9]{1,15}"$' THEN CAST(btrim(${value}, '"') AS numeric)
  END`,
};

/** How values held by as many contacts are ordered, and where a cursor's value stands in it. */
export interface TieOrder {
  /** The ORDER BY keys after `count`, ascending. */
  readonly keys: readonly SortKey[];
  /** Whether the row's value comes after `value` (a cursor's) in that order. */
  after(value: string): RawBuilder<boolean>;
}

/**
 * Text compares bytewise (the column's collation on both stores). Values of an integer, float or
 * date attribute compare as the numbers they are (`3` before `2147483648`), any other value a
 * numeric attribute holds after every number. The text comes last: it makes the order total, so
 * that a cursor names one place in it.
 */
export function tieOrder(dialect: ReadStoreDialect, dataType: DataType): TieOrder {
  const keysOf = (value: Expression<string>): readonly SortKey[] => {
    if (!NUMERIC_DATA_TYPES.has(dataType)) return [sql`${value}`];
    const number = NUMBER_OF[dialect](value);
    return [
      sql`CASE WHEN ${number} IS NULL THEN 1 ELSE 0 END`,
      sql`coalesce(${number}, 0)`,
      sql`${value}`,
    ];
  };
  const keys = keysOf(sql.ref('value'));
  return {
    keys,
    after: (value) => sql<boolean>`(${sql.join(keys)}) > (${sql.join(keysOf(sql.val(value)))})`,
  };
}

/** The range of an `integer` column: PostgreSQL's is 32-bit and refuses any value beyond it. */
const INTEGER_COLUMN_MAX = 2 ** 31 - 1;

/**
 * Whether a non-negative count or sequence number from a client (a cursor, which anyone can
 * forge) fits the integer column it is compared with, rather than failing the query.
 */
export const fitsIntegerColumn = (value: number): boolean =>
  Number.isSafeInteger(value) && value >= 0 && value <= INTEGER_COLUMN_MAX;

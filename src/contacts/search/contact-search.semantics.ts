/**
 * Decisions shared by the SQL compiler and the in-memory evaluator, so both answer the same.
 *
 * - Case: `=`, `!=`, `IN`, `NIN` compare strings exactly, except `email` and `email_domain`,
 *   which Intercom matches case-insensitively. `~ !~ ^ $` ignore case on every string field.
 *   Case folding is ASCII-only (A–Z), because that is what SQLite's `lower()` does; PostgreSQL is
 *   made to match with `COLLATE "C"`.
 * - Absent values: a filter on a contact with no value is false, except the negative operators
 *   `!=`, `NIN` and `!~` (and `not_exists`), which include it, as Intercom does.
 * - A custom attribute whose stored JSON type does not fit its data attribute counts as absent.
 */
export function foldCase(value: string): string {
  // Most values are lower case already; membership folds every string of every segment it checks.
  return ASCII_UPPER.test(value)
    ? value.replace(ASCII_UPPER_RUNS, (letters) => letters.toLowerCase())
    : value;
}

const ASCII_UPPER = /[A-Z]/;
const ASCII_UPPER_RUNS = /[A-Z]+/g;

export const SECONDS_PER_DAY = 86_400;

/** The longest day count a relative rule takes: 10,000 years, beyond any date a contact holds. */
export const MAX_RELATIVE_DAYS = 3_652_500;

/**
 * A day count as whole seconds, as every relative rule counts it (evaluation, SQL and deadlines
 * alike): `0.7` days is 60,480 s, not the 60,479.99999999999 floating point makes of it, which
 * PostgreSQL's integer columns refuse.
 */
export const daySeconds = (days: number): number => Math.round(days * SECONDS_PER_DAY);

/** The instant bounds of a relative rule: `now - field < N days` ⇔ `field > now - N·86400`. */
export function relativeThreshold(now: number, days: number): number {
  return now - daySeconds(days);
}

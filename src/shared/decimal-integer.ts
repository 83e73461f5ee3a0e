import { Transform } from 'class-transformer';

const DECIMAL_DIGITS = /^-?\d{1,16}$/;

/** An integer's one spelling in decimal digits: no leading zero (`01`), and no `-0`. */
const CANONICAL_DECIMAL_DIGITS = /^(?:0|-?[1-9]\d{0,15})$/;

/** Whether `text` is an integer's one spelling in decimal digits (`1`, not `01` nor ` 1`). */
export const isCanonicalDecimal = (text: string): boolean => CANONICAL_DECIMAL_DIGITS.test(text);

/**
 * An integer read from text (a query, a path, the environment), written in decimal digits:
 * `Number()` (what `@Type(() => Number)` applies) also reads `0x10`, `1e3` or ` 8`, which nobody
 * means. Anything else stays as it came, for `@IsInt()` to refuse by name. An id takes only its
 * `oneSpelling` (`01` refused as ` 1` is), so that one resource has one name, as `owner_id` has.
 */
export const DecimalInteger = ({ oneSpelling = false } = {}) =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' &&
    (oneSpelling ? isCanonicalDecimal(value) : DECIMAL_DIGITS.test(value))
      ? Number(value)
      : value,
  );

import { Transform } from 'class-transformer';

/**
 * An integer read from text (a query, a path, the environment), written in decimal digits:
 * `Number()` (what `@Type(() => Number)` applies) also reads `0x10`, `1e3` or ` 8`, which nobody
 * means. Anything else stays as it came, for `@IsInt()` to refuse by name.
 */
export const DecimalInteger = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value,
  );

import { HttpProblem } from './intercom-error';

/**
 * A request's `as_of` (a query parameter's text, or a body's number): an instant in whole unix
 * seconds, up to `now` (unix seconds): the history holds what happened, not what will (deadlines
 * not yet due). Undefined when none is given; refused, naming it, when it is no such instant.
 */
export function asOfInstant(
  value: number | string | readonly string[] | undefined,
  now: number,
): number | undefined {
  return pastInstant(value, now, 'as_of');
}

/** `asOfInstant` for a request field of another name (a stretch's `from` and `to`). */
export function pastInstant(
  value: number | string | readonly string[] | undefined,
  now: number,
  field: string,
): number | undefined {
  if (value === undefined) return undefined;
  const at =
    typeof value === 'number'
      ? Number.isSafeInteger(value) && value >= 0
        ? value
        : undefined
      : typeof value === 'string' && /^\d{1,12}$/.test(value)
        ? Number(value)
        : undefined;
  if (at === undefined || at > now) {
    throw HttpProblem.of(
      400,
      'parameter_invalid',
      `${field} must be an instant in unix seconds, not in the future`,
      field,
    );
  }
  return at;
}

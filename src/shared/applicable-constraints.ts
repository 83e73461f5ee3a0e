/** class-validator's rules that say which type a value must have. */
const TYPE_CONSTRAINTS: ReadonlySet<string> = new Set([
  'isInt',
  'isNumber',
  'isString',
  'isBoolean',
  'isObject',
  'isArray',
]);

/**
 * The failed constraints of a value (class-validator's `constraints`: rule name → message) that
 * say what is wrong with it: a value of the wrong type breaks its range rules too ("abc" is not
 * at most 150), so when it fails a type rule, only that one is said, not what its range is.
 */
export function applicableConstraints(
  constraints: Readonly<Record<string, string>> | undefined,
): ReadonlyArray<readonly [rule: string, message: string]> {
  const failed = Object.entries(constraints ?? {});
  const ofType = failed.filter(([rule]) => TYPE_CONSTRAINTS.has(rule));
  return ofType.length > 0 ? ofType : failed;
}

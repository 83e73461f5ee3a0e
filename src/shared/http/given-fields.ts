/**
 * The fields among `names` that the body gives a value. `@IsOptional()` lets null through as it
 * lets absence, and a null identifier names nothing: it counts as left out, as a messenger item's
 * does, rather than as a value that names no one.
 */
export function givenFields<T extends object, K extends keyof T>(
  body: T,
  names: readonly K[],
): { [P in K]?: NonNullable<T[P]> } {
  const given: { [P in K]?: NonNullable<T[P]> } = {};
  for (const name of names) {
    const value = body[name];
    if (value !== undefined && value !== null) given[name] = value;
  }
  return given;
}

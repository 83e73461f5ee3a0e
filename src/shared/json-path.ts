/**
 * The field path of `key` under `parent` (`''` for the body): `parent.key`, the empty key spelled
 * `""` as JSON spells it, which would otherwise name nothing, or its parent.
 */
export const fieldPath = (parent: string, key: string): string => {
  const named = key === '' ? '""' : key;
  return parent === '' ? named : `${parent}.${named}`;
};

/** What `pathToFirst` looks for: a key, a string value, or an object it refuses. */
export interface JsonRefusal {
  readonly key?: (key: string) => boolean;
  readonly text?: (text: string) => boolean;
  readonly object?: (value: object) => boolean;
}

/**
 * The field path (`a.b[2]`) of the first key or string of a JSON value that `refusal` refuses,
 * or undefined. Recursive, so only for values whose depth is bounded (request bodies are, to 32
 * levels); the path is built only for what is found.
 */
export function pathToFirst(value: unknown, refusal: JsonRefusal, root = ''): string | undefined {
  const found = keysToFirst(value, refusal);
  if (found === undefined) return undefined;
  return found.reduce<string>(
    (path, key) => (typeof key === 'number' ? `${path}[${key}]` : fieldPath(path, key)),
    root,
  );
}

/** The keys leading from `value` to what `refusal` refuses, outermost first. */
function keysToFirst(value: unknown, refusal: JsonRefusal): Array<string | number> | undefined {
  if (typeof value === 'string') return refusal.text?.(value) ? [] : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      const found = keysToFirst(value[index], refusal);
      if (found !== undefined) return [index, ...found];
    }
    return undefined;
  }
  if (refusal.object?.(value)) return [];
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (refusal.key?.(key)) return [key];
    const found = keysToFirst((value as Record<string, unknown>)[key], refusal);
    if (found !== undefined) return [key, ...found];
  }
  return undefined;
}

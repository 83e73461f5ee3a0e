/** `String.prototype.isWellFormed` (Node 20; not yet in this TypeScript's ES2022 library). */
type WellFormedCheck = { isWellFormed(): boolean };

/** Whether a string can be stored as it is everywhere: PostgreSQL takes neither NUL nor broken UTF-16. */
export const isStorableText = (value: string): boolean =>
  !value.includes('\u0000') && (value as unknown as WellFormedCheck).isWellFormed();

/**
 * Where in a JSON value a string (or a key) cannot be stored as it is, as a field path (`a.b[2]`),
 * or undefined: one holding the NUL character, which PostgreSQL's text and jsonb refuse, or an
 * unpaired surrogate, which jsonb refuses and text turns into replacement characters. Such input
 * is refused at the edge, never accepted into the log where a projection would then fail on it.
 * Recursive, so only for values whose depth is bounded (request bodies are, to 32 levels); the
 * path is built only for what is found.
 */
export function unstorableTextPath(value: unknown, root = ''): string | undefined {
  const found = unstorableIn(value);
  if (found === undefined) return undefined;
  return found.reduce<string>(
    (path, key) =>
      typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`,
    root,
  );
}

/** The keys leading from `value` to its first unstorable text, outermost first. */
function unstorableIn(value: unknown): Array<string | number> | undefined {
  if (typeof value === 'string') return isStorableText(value) ? undefined : [];
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      const found = unstorableIn(value[index]);
      if (found !== undefined) return [index, ...found];
    }
    return undefined;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (!isStorableText(key)) return [key];
    const found = unstorableIn((value as Record<string, unknown>)[key]);
    if (found !== undefined) return [key, ...found];
  }
  return undefined;
}

/** What a refusal of such text says about `field`. */
export const unstorableTextMessage = (field: string): string =>
  `${field} must not contain the NUL character or an unpaired surrogate (invalid UTF-16)`;

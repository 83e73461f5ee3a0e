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
 * Iterative: no stack.
 */
export function unstorableTextPath(value: unknown, root = ''): string | undefined {
  const pending: Array<{ value: unknown; path: string }> = [{ value, path: root }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value === 'string') {
      if (!isStorableText(next.value)) return next.path;
      continue;
    }
    if (typeof next.value !== 'object' || next.value === null) continue;
    const isArray = Array.isArray(next.value);
    for (const [key, child] of Object.entries(next.value)) {
      const path = isArray ? `${next.path}[${key}]` : next.path ? `${next.path}.${key}` : key;
      if (!isStorableText(key)) return path;
      pending.push({ value: child, path });
    }
  }
  return undefined;
}

/** What a refusal of such text says about `field`. */
export const unstorableTextMessage = (field: string): string =>
  `${field} must not contain the NUL character or an unpaired surrogate (invalid UTF-16)`;

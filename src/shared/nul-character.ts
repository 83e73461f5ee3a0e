/**
 * Where in a JSON value a string (or a key) holds the NUL character, as a field path (`a.b[2]`),
 * or undefined. PostgreSQL cannot store NUL in text or jsonb: such input is refused at the edge,
 * never accepted into the log where a projection would then fail on it. Iterative: no stack.
 */
export function nulCharacterPath(value: unknown, root = ''): string | undefined {
  const pending: Array<{ value: unknown; path: string }> = [{ value, path: root }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value === 'string') {
      if (next.value.includes('\u0000')) return next.path;
      continue;
    }
    if (typeof next.value !== 'object' || next.value === null) continue;
    const isArray = Array.isArray(next.value);
    for (const [key, child] of Object.entries(next.value)) {
      const path = isArray ? `${next.path}[${key}]` : next.path ? `${next.path}.${key}` : key;
      if (key.includes('\u0000')) return path;
      pending.push({ value: child, path });
    }
  }
  return undefined;
}

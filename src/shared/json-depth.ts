/** Deeper than any body of the API (a search nests groups two deep): refused before any walk. */
export const MAX_BODY_DEPTH = 32;

/**
 * Whether a JSON value nests objects or arrays more than `limit` levels deep. Its recursion stops
 * at `limit`, so it is safe on any value JSON.parse gave (which nests as deep as it is sent).
 */
export function depthExceeds(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (limit === 0) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (depthExceeds(item, limit - 1)) return true;
    return false;
  }
  for (const key in value) {
    if (
      Object.hasOwn(value, key) &&
      depthExceeds((value as Record<string, unknown>)[key], limit - 1)
    )
      return true;
  }
  return false;
}

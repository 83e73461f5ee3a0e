import { fieldPath, pathToFirst } from './json-path';

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

/**
 * The path of the member of `value` (`custom_attributes`, `[2]`) that nests past `limit` levels of
 * `value`, or undefined when none does: a refusal names the field at fault, not a path 32 keys long.
 */
export function tooDeepMemberPath(value: unknown, limit: number): string | undefined {
  if (typeof value !== 'object' || value === null || limit === 0) return undefined;
  if (Array.isArray(value)) {
    const index = value.findIndex((item) => depthExceeds(item, limit - 1));
    return index === -1 ? undefined : `[${index}]`;
  }
  for (const key in value) {
    if (
      Object.hasOwn(value, key) &&
      depthExceeds((value as Record<string, unknown>)[key], limit - 1)
    )
      return fieldPath('', key);
  }
  return undefined;
}

/**
 * More members than any object of the API holds (custom attributes stop at 250 definitions).
 * Validation costs more than linear time in an object's members (a 1 MiB body of 60,000 keys held
 * the event loop for seconds), so a crowded object is refused before any validation sees it.
 */
export const MAX_OBJECT_MEMBERS = 1000;

const crowded = (value: object): boolean => {
  let members = 0;
  for (const key in value) {
    if (Object.hasOwn(value, key)) members += 1;
    if (members > MAX_OBJECT_MEMBERS) return true;
  }
  return false;
};

/** Where a JSON value of bounded depth holds an object of more than `MAX_OBJECT_MEMBERS`. */
export const crowdedObjectPath = (value: unknown, root = ''): string | undefined =>
  pathToFirst(value, { object: crowded }, root);

export const crowdedObjectMessage = (field: string): string =>
  `${field || 'The request body'} has more than ${MAX_OBJECT_MEMBERS} members`;

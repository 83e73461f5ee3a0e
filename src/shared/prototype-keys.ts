import { pathToFirst } from './json-path';

/**
 * Where a JSON value has a key named `__proto__`, as a field path, or undefined. JSON.parse keeps
 * such a key as an ordinary property, but copying it by assignment (`Object.assign`, `obj[key] =`)
 * replaces the copy's prototype instead: it is refused at the edge, naming where it is, before
 * anything copies it.
 */
export const prototypeKeyPath = (value: unknown, root = ''): string | undefined =>
  pathToFirst(value, { key: (key) => key === '__proto__' }, root);

export const prototypeKeyMessage = (field: string): string =>
  `${field} is not allowed: __proto__ cannot be a key`;

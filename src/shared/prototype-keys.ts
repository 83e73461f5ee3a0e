import { pathToFirst, type JsonRefusal } from './json-path';

/**
 * Whether no body may hold `key`, at any depth: `__proto__` and `prototype`, which reach a prototype when
 * copied by assignment (`Object.assign`, `obj[key] =`), and the names of `Object.prototype`'s other
 * members (`constructor`, `toString`, `hasOwnProperty`, …), which class-transformer skips as
 * inherited methods, dropping the field unseen. JSON.parse keeps all of them as ordinary keys.
 */
export const isPrototypeKey = (key: string): boolean =>
  key === 'prototype' || key in Object.prototype;

/** `isPrototypeKey` as a refusal of JSON keys, at any depth. */
export const PROTOTYPE_KEYS: JsonRefusal = { key: isPrototypeKey };

/** Where a JSON value holds one of `PROTOTYPE_KEYS`, as a field path, or undefined. */
export const prototypeKeyPath = (value: unknown, root = ''): string | undefined =>
  pathToFirst(value, PROTOTYPE_KEYS, root);

export const prototypeKeyMessage = (field: string): string =>
  `${field} is not accepted: a key named after a member of Object.prototype cannot be copied as it is`;

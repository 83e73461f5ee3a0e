import { pathToFirst, type JsonRefusal } from './json-path';

/** `String.prototype.isWellFormed` (Node 20; not yet in this TypeScript's ES2022 library). */
type WellFormedCheck = { isWellFormed(): boolean };

/** Whether a string can be stored as it is everywhere: PostgreSQL takes neither NUL nor broken UTF-16. */
export const isStorableText = (value: string): boolean =>
  !value.includes('\u0000') && (value as unknown as WellFormedCheck).isWellFormed();

const UNSTORABLE: JsonRefusal = {
  key: (key) => !isStorableText(key),
  text: (text) => !isStorableText(text),
};

/**
 * Where in a JSON value a string (or a key) cannot be stored as it is, as a field path, or
 * undefined: one holding the NUL character, which PostgreSQL's text and jsonb refuse, or an
 * unpaired surrogate, which jsonb refuses and text turns into replacement characters. Such input
 * is refused at the edge, never accepted into the log where a projection would then fail on it.
 */
export const unstorableTextPath = (value: unknown, root = ''): string | undefined =>
  pathToFirst(value, UNSTORABLE, root);

/** What a refusal of such text says about `field`. */
export const unstorableTextMessage = (field: string): string =>
  `${field} must not contain the NUL character or an unpaired surrogate (invalid UTF-16)`;

/**
 * Value types of a contact, named as Intercom names them (the `contact` schema of the Intercom
 * API), so that events, state, read models and responses use one vocabulary for contact fields.
 */

/** Unix seconds. */
export type UnixSeconds = number;

export type CustomAttributeValue = string | number | boolean | null;

/** Custom attributes as written: a `null` value clears the attribute. */
export type CustomAttributes = Readonly<Record<string, CustomAttributeValue>>;

export type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export interface ContactLocation {
  readonly country: string | null;
  readonly region: string | null;
  readonly city: string | null;
}

export const EMPTY_LOCATION: ContactLocation = { country: null, region: null, city: null };

/** Where the messenger last saw a contact arrive from: Intercom's visitor fields. */
export const ARRIVAL_FIELDS = [
  'referrer',
  'utm_campaign',
  'utm_content',
  'utm_medium',
  'utm_source',
  'utm_term',
] as const;

export type ArrivalAttributes = {
  readonly [Field in (typeof ARRIVAL_FIELDS)[number]]: string | null;
};

export const NO_ARRIVAL: ArrivalAttributes = {
  referrer: null,
  utm_campaign: null,
  utm_content: null,
  utm_medium: null,
  utm_source: null,
  utm_term: null,
};

/** The arrival fields of `source`, and nothing else. */
export const arrivalOf = (source: ArrivalAttributes): ArrivalAttributes => ({
  referrer: source.referrer,
  utm_campaign: source.utm_campaign,
  utm_content: source.utm_content,
  utm_medium: source.utm_medium,
  utm_source: source.utm_source,
  utm_term: source.utm_term,
});

/** What the messenger reports about where a contact is seen from. */
export interface SeenContext extends Partial<ArrivalAttributes> {
  readonly browser?: string | null;
  readonly browser_version?: string | null;
  readonly browser_language?: string | null;
  readonly os?: string | null;
  readonly location?: ContactLocation;
}

/** The standard fields a contact carries besides its lifecycle timestamps. */
export interface StandardAttributes extends ArrivalAttributes {
  readonly email: string | null;
  readonly phone: string | null;
  readonly name: string | null;
  /** Image URL; the read side wraps it as `{type: "avatar", image_url}`. */
  readonly avatar: string | null;
  readonly external_id: string | null;
  readonly owner_id: string | null;
  readonly signed_up_at: UnixSeconds | null;
  readonly last_seen_at: UnixSeconds | null;
  readonly unsubscribed_from_emails: boolean;
  readonly has_hard_bounced: boolean;
  readonly marked_email_as_spam: boolean;
  readonly language_override: string | null;
  readonly browser: string | null;
  readonly browser_version: string | null;
  readonly browser_language: string | null;
  readonly os: string | null;
  readonly location: ContactLocation;
}

export type StandardAttributeName = keyof StandardAttributes;

/** The fields a sighting reports (`SeenContext`'s), as an update may write them too. */
export const CONTEXT_FIELDS: readonly (keyof SeenContext)[] = [
  'browser',
  'browser_version',
  'browser_language',
  'os',
  'location',
  ...ARRIVAL_FIELDS,
];

/** The standard attributes that are flags: they always hold true or false, never nothing. */
export const FLAG_ATTRIBUTES = [
  'unsubscribed_from_emails',
  'has_hard_bounced',
  'marked_email_as_spam',
] as const satisfies readonly StandardAttributeName[];

export const STANDARD_ATTRIBUTE_NAMES: readonly StandardAttributeName[] = [
  'email',
  'phone',
  'name',
  'avatar',
  'external_id',
  'owner_id',
  'signed_up_at',
  'last_seen_at',
  'unsubscribed_from_emails',
  'has_hard_bounced',
  'marked_email_as_spam',
  'language_override',
  ...CONTEXT_FIELDS,
];

export const EMPTY_STANDARD_ATTRIBUTES: StandardAttributes = {
  email: null,
  phone: null,
  name: null,
  avatar: null,
  external_id: null,
  owner_id: null,
  signed_up_at: null,
  last_seen_at: null,
  unsubscribed_from_emails: false,
  has_hard_bounced: false,
  marked_email_as_spam: false,
  language_override: null,
  browser: null,
  browser_version: null,
  browser_language: null,
  os: null,
  location: EMPTY_LOCATION,
  ...NO_ARRIVAL,
};

/**
 * A partial write of contact fields: absent keys are untouched. `email_verified` (Intercom 2.16)
 * says whether the email written with it was verified; no route shows it, so it is no standard
 * attribute (see `emailVerifiedAfter`).
 */
export type AttributeChanges = Partial<StandardAttributes> & {
  readonly custom_attributes?: CustomAttributes;
  readonly email_verified?: boolean | null;
};

/** One address, as identities compare emails: case aside. */
const sameEmailAddress = (a: string | null, b: string | null): boolean =>
  a === b || (a !== null && b !== null && a.trim().toLowerCase() === b.trim().toLowerCase());

/**
 * Whether the contact's email is verified once `write` is applied: a verification is of one
 * address, so a write giving another address without saying leaves it unverified (null: not
 * known), and one repeating the address keeps it.
 */
export const emailVerifiedAfter = (
  contact: { readonly email: string | null; readonly email_verified: boolean | null },
  write: { readonly email?: string | null; readonly email_verified?: boolean | null },
): boolean | null => {
  if (write.email_verified !== undefined) return write.email_verified;
  return write.email === undefined || sameEmailAddress(write.email, contact.email)
    ? contact.email_verified
    : null;
};

export const sameLocation = (a: ContactLocation, b: ContactLocation): boolean =>
  a.country === b.country && a.region === b.region && a.city === b.city;

export const isEmptyLocation = (location: ContactLocation): boolean =>
  sameLocation(location, EMPTY_LOCATION);

/**
 * When each field was last written, in event time: standard attributes by their names (context
 * fields included, by the sighting that reported them), custom attributes as
 * `custom_attributes.<name>`. Identity fields (email, external_id), the email's verification,
 * which goes with it, and last_seen_at are not timed: identities are claimed as writes arrive, and
 * last_seen_at only moves forwards.
 */
export type FieldWrittenAt = Readonly<Partial<Record<string, UnixSeconds>>>;

const UNTIMED: ReadonlySet<string> = new Set([
  'email',
  'email_verified',
  'external_id',
  'last_seen_at',
]);

const customKey = (name: string): string => `custom_attributes.${name}`;

const isNewest = (writtenAt: FieldWrittenAt, key: string, at: UnixSeconds): boolean => {
  const written = writtenAt[key];
  return written === undefined || written <= at;
};

/**
 * The part of a sighting's context at `seenAt` that is the newest report of its field: a field
 * holds what the latest sighting (by event time) that reported it said, whatever order they
 * arrived in (of two at the same second, the later arrival). A null or an empty location is no
 * report.
 */
export const freshContext = (
  writtenAt: FieldWrittenAt,
  context: SeenContext,
  seenAt: UnixSeconds,
): SeenContext => {
  // A context never carries custom attributes; one that did would take `freshChanges`' way.
  if (Object.hasOwn(context, 'custom_attributes'))
    return freshChanges(writtenAt, reportedOnly(context), seenAt);
  const fresh: Record<string, unknown> = {};
  for (const key of Object.keys(context)) {
    const value = (context as Record<string, unknown>)[key];
    if (value == null || (key === 'location' && isEmptyLocation(value as ContactLocation)))
      continue;
    if (UNTIMED.has(key) || isNewest(writtenAt, key, seenAt)) defineOwn(fresh, key, value);
  }
  return fresh;
};

/** The fields of a context that report something: no nulls, no empty location. */
const reportedOnly = (context: SeenContext): SeenContext => {
  const reported: Record<string, unknown> = {};
  for (const key of Object.keys(context)) {
    const value = (context as Record<string, unknown>)[key];
    if (value != null && !(key === 'location' && isEmptyLocation(value as ContactLocation)))
      defineOwn(reported, key, value);
  }
  return reported;
};

/**
 * The part of a write at `at` that is the newest write of its field (see `freshContext`):
 * a late write never overwrites a newer one. Untimed fields always pass.
 */
export const freshChanges = (
  writtenAt: FieldWrittenAt,
  changes: AttributeChanges,
  at: UnixSeconds,
): AttributeChanges => {
  const fresh: Record<string, unknown> = {};
  for (const key of Object.keys(changes)) {
    if (key === 'custom_attributes') continue;
    if (UNTIMED.has(key) || isNewest(writtenAt, key, at))
      defineOwn(fresh, key, (changes as Record<string, unknown>)[key]);
  }
  const { custom_attributes } = changes;
  if (custom_attributes !== undefined) {
    const custom: Record<string, unknown> = {};
    let written = false;
    for (const name of Object.keys(custom_attributes)) {
      if (!isNewest(writtenAt, customKey(name), at)) continue;
      defineOwn(custom, name, custom_attributes[name]);
      written = true;
    }
    if (written) fresh.custom_attributes = custom;
  }
  return fresh;
};

/** The `FieldWrittenAt` keys of the timed fields `changes` (a write or a context) writes. */
const timedKeysOf = (changes: AttributeChanges | SeenContext): string[] => {
  const keys: string[] = [];
  for (const key of Object.keys(changes)) {
    if (key !== 'custom_attributes' && !UNTIMED.has(key)) keys.push(key);
  }
  const { custom_attributes } = changes as AttributeChanges;
  if (custom_attributes != null) {
    for (const name of Object.keys(custom_attributes)) keys.push(customKey(name));
  }
  return keys;
};

/** `writtenAt` with the fields `keys` names written at `at`. */
const withWriteTimes = (
  writtenAt: FieldWrittenAt,
  keys: readonly string[],
  at: UnixSeconds,
): FieldWrittenAt => {
  if (keys.length === 0) return writtenAt;
  const next: Record<string, UnixSeconds> = { ...writtenAt } as Record<string, UnixSeconds>;
  for (const key of keys) next[key] = at;
  return next;
};

/** `writtenAt` with every timed field of `changes` (a write or a context) written at `at`. */
export const writtenFields = (
  writtenAt: FieldWrittenAt,
  changes: AttributeChanges | SeenContext,
  at: UnixSeconds,
): FieldWrittenAt => withWriteTimes(writtenAt, timedKeysOf(changes), at);

/**
 * The write times `writtenAt` holds for the timed fields `changes` writes: what a contact taking
 * those values from another keeps, so that a late write older than them leaves them be.
 */
export const writeTimesOf = (
  writtenAt: FieldWrittenAt,
  changes: AttributeChanges,
): FieldWrittenAt =>
  Object.fromEntries(
    timedKeysOf(changes)
      .map((key) => [key, writtenAt[key]] as const)
      .filter(([, at]) => at !== undefined),
  );

/**
 * The timed fields of `repeats`, writes at `at` of the values their fields hold, that are newer
 * than the last write of their field, as `FieldWrittenAt` names them: the write moves no value,
 * but it is the one a late write older than it must not overwrite.
 */
export const reaffirmedFields = (
  writtenAt: FieldWrittenAt,
  repeats: AttributeChanges,
  at: UnixSeconds,
): string[] =>
  timedKeysOf(repeats).filter((key) => {
    const written = writtenAt[key];
    return written === undefined || written < at;
  });

/**
 * The part of `repeats`, writes at `at` of the values their fields hold, that something newer
 * wrote already: late writes, which move no value now, but which `as_of` shows from `at` on (the
 * value then was another, or none).
 */
export const supersededWrites = (
  writtenAt: FieldWrittenAt,
  repeats: AttributeChanges,
  at: UnixSeconds,
): AttributeChanges => {
  const isSuperseded = (key: string) => (writtenAt[key] ?? at) > at;
  const { custom_attributes, ...standard } = repeats;
  const custom = Object.entries(custom_attributes ?? {}).filter(([name]) =>
    isSuperseded(customKey(name)),
  );
  return {
    ...Object.fromEntries(
      Object.entries(standard).filter(([key]) => !UNTIMED.has(key) && isSuperseded(key)),
    ),
    ...(custom.length > 0 ? { custom_attributes: Object.fromEntries(custom) } : {}),
  };
};

/** `changes` and `more`, custom attributes of both included. */
export const withMoreChanges = (
  changes: AttributeChanges,
  more: AttributeChanges,
): AttributeChanges => {
  const custom = { ...changes.custom_attributes, ...more.custom_attributes };
  return {
    ...changes,
    ...more,
    ...(Object.keys(custom).length > 0 ? { custom_attributes: custom } : {}),
  };
};

/** `writtenAt` with the reaffirmed fields `keys` (see `reaffirmedFields`) written at `at`. */
export const reaffirmedAt = (
  writtenAt: FieldWrittenAt,
  keys: readonly string[],
  at: UnixSeconds,
): FieldWrittenAt =>
  withWriteTimes(
    writtenAt,
    keys.filter((key) => isNewest(writtenAt, key, at)),
    at,
  );

const isFlag = (key: StandardAttributeName): boolean =>
  (FLAG_ATTRIBUTES as readonly StandardAttributeName[]).includes(key);

/** Whether two values of a field are one: a flag written as null (cleared) is false. */
export const sameAttributeValue = <K extends StandardAttributeName>(
  key: K,
  a: StandardAttributes[K],
  b: StandardAttributes[K],
): boolean => {
  if (key === 'location') return sameLocation(a as ContactLocation, b as ContactLocation);
  if (isFlag(key)) return ((a as boolean | null) ?? false) === ((b as boolean | null) ?? false);
  return a === b;
};

/** Drops the keys of `changes` whose value is `undefined`, so payloads stay plain JSON. */
export const definedOnly = <T extends object>(value: T): T => {
  const defined: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== undefined) defineOwn(defined, key, field);
  }
  return defined as T;
};

/**
 * Sets `key` on `target` as an own property, as a spread or `Object.fromEntries` does (plain
 * assignment of `__proto__` would set the prototype instead). The folds build their objects with
 * it in loops rather than through `Object.entries`' arrays: every projection folds every event.
 */
export const defineOwn = (target: Record<string, unknown>, key: string, value: unknown): void => {
  if (key === '__proto__')
    Object.defineProperty(target, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  else target[key] = value;
};

/** Applies custom attribute writes; `null` removes the attribute. */
export const applyCustomAttributes = (
  current: CustomAttributes,
  writes: CustomAttributes,
): CustomAttributes => {
  const next: Record<string, CustomAttributeValue> = { ...current };
  for (const [name, value] of Object.entries(writes)) {
    if (value === null) delete next[name];
    else next[name] = value;
  }
  return next;
};

/** The writes of `writes` that differ from `current`. */
export const changedStandardAttributes = (
  current: StandardAttributes,
  writes: Partial<StandardAttributes>,
): Partial<StandardAttributes> => {
  const changed: Partial<Record<StandardAttributeName, unknown>> = {};
  for (const key of STANDARD_ATTRIBUTE_NAMES) {
    const value = writes[key];
    if (value !== undefined && !sameAttributeValue(key, current[key], value)) changed[key] = value;
  }
  return changed as Partial<StandardAttributes>;
};

/** The custom attribute writes that change something (removing an absent attribute does not). */
export const changedCustomAttributes = (
  current: CustomAttributes,
  writes: CustomAttributes,
): CustomAttributes =>
  Object.fromEntries(
    Object.entries(writes).filter(([name, value]) =>
      value === null ? name in current : current[name] !== value,
    ),
  );

/** The writes of `writes` that `changed`, the part of them that changes something, leaves out. */
export const repeatedWrites = (
  writes: AttributeChanges,
  changed: AttributeChanges,
): AttributeChanges => {
  const { custom_attributes, ...standard } = writes;
  const changedCustom = changed.custom_attributes ?? {};
  const custom = Object.entries(custom_attributes ?? {}).filter(
    ([name]) => !(name in changedCustom),
  );
  return {
    ...Object.fromEntries(
      Object.entries(standard).filter(([key, value]) => value !== undefined && !(key in changed)),
    ),
    ...(custom.length > 0 ? { custom_attributes: Object.fromEntries(custom) } : {}),
  };
};

/** One `@` between a local part and a domain, no spaces: what both the API and ingestion accept. */
export const isEmailAddress = (value: unknown): boolean =>
  typeof value === 'string' && /^[^\s@]+@[^\s@]+$/.test(value);

/** An avatar: an absolute http(s) URL of at most 2048 characters (Intercom's `format: uri`). */
export const MAX_AVATAR_URL = 2048;

/**
 * RFC 3986 characters only (printable ASCII, no space or backslash): the WHATWG parser behind
 * `URL` would otherwise trim, drop tabs and newlines and turn backslashes into slashes, taking
 * text that is no URI, which would then be stored and answered as it was sent.
 */
const URI_CHARACTERS = /^[!#-[\]-~]+$/;

/**
 * `http(s)://` and a non-empty host, after any `user@` (the last `@` of the authority ends it), as
 * written: the parser reads `http:x.com`, `http:/x.com` and `http:///x.com` alike as
 * `http://x.com/`, but the URL is stored and answered as sent, where it names no host.
 */
const WRITTEN_HOST = /^https?:\/\/(?:[^/?#]*@)?(?![^/?#]*@)[^/?#:]/i;

export function isImageUrl(value: unknown): boolean {
  if (
    typeof value !== 'string' ||
    value.length > MAX_AVATAR_URL ||
    !URI_CHARACTERS.test(value) ||
    !WRITTEN_HOST.test(value)
  )
    return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && /[^.]/.test(url.hostname);
  } catch {
    return false;
  }
}

/**
 * The most digits an owner_id has: it reads as a number exactly in JavaScript, SQLite and
 * PostgreSQL.
 */
export const OWNER_ID_MAX_DIGITS = 15;
const OWNER_ID_DIGITS = new RegExp(`^(?:0|[1-9]\\d{0,${OWNER_ID_MAX_DIGITS - 1}})$`);
const DIGITS_OF_A_NUMBER = new RegExp(`^[0-9]{1,${OWNER_ID_MAX_DIGITS}}$`);

/**
 * The number an owner_id kept as text stands for (a leading zero stored before owner_ids were
 * checked included), or null for text that reads as no such number.
 */
export const ownerIdNumber = (text: string): number | null =>
  DIGITS_OF_A_NUMBER.test(text) ? Number(text) : null;

/**
 * An admin id: a non-negative integer, or its digits as a string (API 2.16 answers strings, 2.14
 * integers, so it must read as a number either way), without leading zeros: "0123" would read as
 * admin 123 in 2.14 yet be another value to search and count.
 */
export const isOwnerId = (value: unknown): boolean =>
  (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) ||
  (typeof value === 'string' && OWNER_ID_DIGITS.test(value));

import type { ContactsTable } from '../../../projections/contacts/contacts.table';

/** Value types of searchable fields; custom attributes take theirs from their data attribute. */
export type SearchFieldType = 'string' | 'boolean' | 'integer' | 'float' | 'date';

/**
 * The data type of a custom attribute by name, or `undefined` when the workspace has no such
 * attribute. `at` is where the request names it (`rule.value[0].field`), for a lookup that refuses
 * the attribute to name.
 */
export type CustomAttributeTypeLookup = (name: string, at: string) => SearchFieldType | undefined;

type ColumnOfType<T> = {
  [K in keyof ContactsTable]: ContactsTable[K] extends T ? K : never;
}[keyof ContactsTable];

/** A search field backed by a column of the contacts read model. */
export interface StandardSearchField {
  readonly kind: 'standard';
  readonly name: string;
  readonly type: SearchFieldType;
  readonly column: Exclude<
    ColumnOfType<string | number | null>,
    'custom_attributes' | 'merge_history' | 'field_written_at'
  >;
  /** Nullable columns make `!=`, `NIN`, `!~` and `not_exists` include "no value". */
  readonly nullable: boolean;
  /** Intercom matches email addresses case-insensitively; see `contact-search.sql.ts`. */
  readonly caseInsensitive: boolean;
  /** An integer kept as its digits (`owner_id`): its value is what `ownerIdNumber` reads. */
  readonly storedAsDigits?: boolean;
}

export interface CustomAttributeSearchField {
  readonly kind: 'custom';
  /** `custom_attributes.<attribute>` as written in the query. */
  readonly name: string;
  readonly attribute: string;
  readonly type: SearchFieldType;
}

/** `segment_id`: membership, compiled through a hook the segments capability provides. */
export interface SegmentSearchField {
  readonly kind: 'segment';
  readonly name: 'segment_id';
  readonly type: 'string';
}

/** `event`: the contact's data events; segment rules only (`has_done` / `has_not_done`). */
export interface EventSearchField {
  readonly kind: 'event';
  readonly name: 'event';
  readonly type: 'string';
}

export type SearchField =
  StandardSearchField | CustomAttributeSearchField | SegmentSearchField | EventSearchField;

const standard = (
  name: string,
  type: SearchFieldType,
  column: StandardSearchField['column'],
  nullable: boolean,
  caseInsensitive = false,
): StandardSearchField => ({ kind: 'standard', name, type, column, nullable, caseInsensitive });

/**
 * `owner_id` as searches took it before it was an integer field, as text: a segment rule saved
 * then keeps the meaning it was saved with (see `parseStoredRule`).
 */
const OWNER_ID_AS_TEXT = standard('owner_id', 'string', 'owner_id', true);

/** Every standard searchable field, by the name a query uses. */
export const STANDARD_SEARCH_FIELDS: ReadonlyMap<string, StandardSearchField> = new Map(
  [
    standard('id', 'string', 'id', false),
    standard('role', 'string', 'role', false),
    standard('name', 'string', 'name', true),
    standard('email', 'string', 'email', true, true),
    standard('email_domain', 'string', 'email_domain', true, true),
    standard('phone', 'string', 'phone', true),
    standard('external_id', 'string', 'external_id', true),
    // An admin id, an integer (as data attributes list it and Intercom searches it).
    { ...standard('owner_id', 'integer', 'owner_id', true), storedAsDigits: true },
    standard('created_at', 'date', 'created_at', false),
    standard('updated_at', 'date', 'updated_at', false),
    standard('signed_up_at', 'date', 'signed_up_at', true),
    standard('last_seen_at', 'date', 'last_seen_at', true),
    standard('last_replied_at', 'date', 'last_replied_at', true),
    standard('last_contacted_at', 'date', 'last_contacted_at', true),
    standard('unsubscribed_from_emails', 'boolean', 'unsubscribed_from_emails', false),
    standard('has_hard_bounced', 'boolean', 'has_hard_bounced', false),
    standard('marked_email_as_spam', 'boolean', 'marked_email_as_spam', false),
    standard('location.country', 'string', 'location_country', true),
    standard('location.region', 'string', 'location_region', true),
    standard('location.city', 'string', 'location_city', true),
    standard('browser', 'string', 'browser', true),
    standard('browser_language', 'string', 'browser_language', true),
    standard('os', 'string', 'os', true),
    standard('avatar', 'string', 'avatar', true),
    standard('language_override', 'string', 'language_override', true),
  ].map((field) => [field.name, field]),
);

export const SEGMENT_SEARCH_FIELD: SegmentSearchField = {
  kind: 'segment',
  name: 'segment_id',
  type: 'string',
};

export const EVENT_SEARCH_FIELD: EventSearchField = {
  kind: 'event',
  name: 'event',
  type: 'string',
};

export const CUSTOM_ATTRIBUTE_PREFIX = 'custom_attributes.';

/** Characters a data attribute name never contains (domain.md); refusing them keeps JSON paths literal. */
const FORBIDDEN_ATTRIBUTE_CHARACTERS = /["\\.$~`!@#%^&*'{}|]/;

/**
 * The field a query names (at `at` in the request), or `undefined` when there is no such field in
 * this workspace.
 */
export function resolveSearchField(
  name: string,
  customAttributeType: CustomAttributeTypeLookup,
  at: string,
  ownerIdAsText = false,
): SearchField | undefined {
  if (name === SEGMENT_SEARCH_FIELD.name) return SEGMENT_SEARCH_FIELD;
  if (ownerIdAsText && name === OWNER_ID_AS_TEXT.name) return OWNER_ID_AS_TEXT;
  const builtIn = STANDARD_SEARCH_FIELDS.get(name);
  if (builtIn) return builtIn;
  if (!name.startsWith(CUSTOM_ATTRIBUTE_PREFIX)) return undefined;
  const attribute = name.slice(CUSTOM_ATTRIBUTE_PREFIX.length);
  if (attribute === '' || FORBIDDEN_ATTRIBUTE_CHARACTERS.test(attribute)) return undefined;
  const type = customAttributeType(attribute, at);
  return type === undefined ? undefined : { kind: 'custom', name, attribute, type };
}

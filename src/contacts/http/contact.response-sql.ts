import { OWNER_ID_MAX_DIGITS } from '../domain/contact.attributes';
import { sql, type RawBuilder } from 'kysely';

/** A JSON value: a constant (`[]` the empty array), SQL whose value is JSON text, or an object as its entries. */
type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly []
  | { readonly sql: string }
  | ReadonlyArray<readonly [string, JsonValue]>;

const quoted = (expression: string) => ({ sql: `json_quote(${expression})` });
const bool = (column: string) => ({ sql: `CASE WHEN ${column} = 1 THEN 'true' ELSE 'false' END` });
const emptyList = (kind: string): JsonValue => [
  ['type', 'list'],
  ['data', []],
  ['url', quoted(`'/contacts/' || id || '/${kind}'`)],
  ['total_count', 0],
  ['has_more', false],
];

/**
 * The contact of `toContactResponse` (without `merge_history`), key by key in its order. Strings
 * and numbers are `json_quote`d, which escapes as `JSON.stringify` does (compared byte for byte
 * by `contact-response-json.int-spec.ts`).
 */
function contactJson(ownerIdAsNumber: boolean): JsonValue {
  const ownerId = ownerIdAsNumber
    ? `CASE WHEN owner_id GLOB '[0-9]*' AND owner_id NOT GLOB '*[^0-9]*' AND length(owner_id) <= ${OWNER_ID_MAX_DIGITS} THEN CAST(owner_id AS INTEGER) ELSE owner_id END`
    : 'owner_id';
  const columns = (...names: string[]) =>
    names.map((name) => [name, quoted(name)] as [string, JsonValue]);
  const nulls = (...names: string[]) => names.map((name) => [name, null] as [string, JsonValue]);
  return [
    ['type', 'contact'],
    ...columns(
      'id',
      'workspace_id',
      'external_id',
      'role',
      'email',
      'email_domain',
      'phone',
      'name',
    ),
    ['owner_id', quoted(ownerId)],
    ['has_hard_bounced', bool('has_hard_bounced')],
    ['marked_email_as_spam', bool('marked_email_as_spam')],
    ['unsubscribed_from_emails', bool('unsubscribed_from_emails')],
    ...columns('created_at', 'updated_at', 'signed_up_at', 'last_seen_at'),
    ...columns('last_replied_at', 'last_contacted_at'),
    ...nulls('last_email_opened_at', 'last_email_clicked_at'),
    ...columns('language_override', 'browser', 'browser_version', 'browser_language', 'os'),
    ...nulls('android_app_name', 'android_app_version', 'android_device', 'android_os_version'),
    ...nulls('android_sdk_version', 'android_last_seen_at'),
    ...nulls('ios_app_name', 'ios_app_version', 'ios_device', 'ios_os_version'),
    ...nulls('ios_sdk_version', 'ios_last_seen_at'),
    ['custom_attributes', { sql: 'json(custom_attributes)' }],
    [
      'avatar',
      {
        sql: `CASE WHEN avatar IS NULL THEN 'null' ELSE '{"type":"avatar","image_url":' || json_quote(avatar) || '}' END`,
      },
    ],
    ['tags', emptyList('tags')],
    ['notes', emptyList('notes')],
    ['companies', emptyList('companies')],
    [
      'location',
      [
        ['type', 'location'],
        ['country', quoted('location_country')],
        ['region', quoted('location_region')],
        ['city', quoted('location_city')],
        ...nulls('country_code', 'continent_code'),
      ],
    ],
    [
      'social_profiles',
      [
        ['type', 'list'],
        ['data', []],
      ],
    ],
    ['archived', bool('archived')],
    ['enabled_push_messaging', null],
  ];
}

/** The JSON text of `value` as pieces: constant text (merged) and SQL expressions. */
function pieces(value: JsonValue, into: Array<string | { sql: string }>): void {
  const text = (constant: string) => {
    const last = into[into.length - 1];
    if (typeof last === 'string') into[into.length - 1] = last + constant;
    else into.push(constant);
  };
  if (typeof value !== 'object' || value === null) return text(JSON.stringify(value));
  if ('sql' in value) {
    into.push(value);
    return;
  }
  if (value.length === 0) return text('[]');
  text('{');
  (value as ReadonlyArray<readonly [string, JsonValue]>).forEach(([key, entry], index) => {
    text(`${index === 0 ? '' : ','}${JSON.stringify(key)}:`);
    pieces(entry, into);
  });
  text('}');
}

/**
 * SQLite: the contact object of `toContactResponse` (without `merge_history`) as the JSON text
 * the route's compiled serializer writes for it, from the contacts row: the same keys in the
 * same order, the same escaping. A point read that answers with it skips parsing the row,
 * mapping it and serializing the result; constant parts are written once, here, as text.
 * `ownerIdAsNumber`: an API version before 2.16, where an owner id of digits is a number (up to
 * `OWNER_ID_NUMBER_DIGITS`). `contact-response-json.int-spec.ts` compares it with the general
 * mapping, row by row.
 */
export function sqliteContactResponseJson(ownerIdAsNumber: boolean): RawBuilder<string> {
  const parts: Array<string | { sql: string }> = [];
  pieces(contactJson(ownerIdAsNumber), parts);
  return sql<string>`concat(${sql.join(
    parts.map((part) => (typeof part === 'string' ? sql.lit(part) : sql.raw(part.sql))),
  )})`;
}

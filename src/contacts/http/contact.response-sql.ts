import { sql, type RawBuilder } from 'kysely';

/**
 * Owner ids of at most this many digits convert to a JSON number exactly in both SQLite and
 * JavaScript (`toContactResponse` uses `Number`); longer ones take the general mapping.
 */
export const OWNER_ID_NUMBER_DIGITS = 15;

const bool = (column: string) =>
  sql`json(CASE WHEN ${sql.ref(column)} = 1 THEN 'true' ELSE 'false' END)`;
const emptyList = (kind: string) =>
  sql`json_object('type', 'list', 'data', json('[]'), 'url', '/contacts/' || id || ${sql.lit(`/${kind}`)}, 'total_count', 0, 'has_more', json('false'))`;

/**
 * SQLite: the contact object of `toContactResponse` (without `merge_history`) as the JSON text
 * the route's compiled serializer writes for it, built by `json_object` from the contacts row:
 * the same keys in the same order, the same escaping. A point read that answers with it skips
 * parsing the row, mapping it and serializing the result. `ownerIdAsNumber`: an API version
 * before 2.16, where an owner id of digits is a number (only up to `OWNER_ID_NUMBER_DIGITS`).
 * `contact.response-sql.int-spec.ts` compares it with the general mapping, row by row.
 */
export function sqliteContactResponseJson(ownerIdAsNumber: boolean): RawBuilder<string> {
  const ownerId = ownerIdAsNumber
    ? sql`CASE WHEN owner_id GLOB '[0-9]*' AND owner_id NOT GLOB '*[^0-9]*' AND length(owner_id) <= ${sql.lit(OWNER_ID_NUMBER_DIGITS)} THEN CAST(owner_id AS INTEGER) ELSE owner_id END`
    : sql`owner_id`;
  return sql<string>`json_object(
    'type', 'contact', 'id', id, 'workspace_id', workspace_id, 'external_id', external_id,
    'role', role, 'email', email, 'email_domain', email_domain, 'phone', phone, 'name', name,
    'owner_id', ${ownerId},
    'has_hard_bounced', ${bool('has_hard_bounced')},
    'marked_email_as_spam', ${bool('marked_email_as_spam')},
    'unsubscribed_from_emails', ${bool('unsubscribed_from_emails')},
    'created_at', created_at, 'updated_at', updated_at, 'signed_up_at', signed_up_at,
    'last_seen_at', last_seen_at, 'last_replied_at', last_replied_at,
    'last_contacted_at', last_contacted_at,
    'last_email_opened_at', NULL, 'last_email_clicked_at', NULL,
    'language_override', language_override, 'browser', browser,
    'browser_version', browser_version, 'browser_language', browser_language, 'os', os,
    'android_app_name', NULL, 'android_app_version', NULL, 'android_device', NULL,
    'android_os_version', NULL, 'android_sdk_version', NULL, 'android_last_seen_at', NULL,
    'ios_app_name', NULL, 'ios_app_version', NULL, 'ios_device', NULL,
    'ios_os_version', NULL, 'ios_sdk_version', NULL, 'ios_last_seen_at', NULL,
    'custom_attributes', json(custom_attributes),
    'avatar', CASE WHEN avatar IS NULL THEN NULL ELSE json_object('type', 'avatar', 'image_url', avatar) END,
    'tags', ${emptyList('tags')}, 'notes', ${emptyList('notes')}, 'companies', ${emptyList('companies')},
    'location', json_object('type', 'location', 'country', location_country,
      'region', location_region, 'city', location_city, 'country_code', NULL, 'continent_code', NULL),
    'social_profiles', json_object('type', 'list', 'data', json('[]')),
    'archived', ${bool('archived')}
  )`;
}

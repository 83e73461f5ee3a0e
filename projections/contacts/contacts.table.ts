import type { AttributeValuesReadModel } from '../attribute-values/attribute-values.table';

/**
 * The contacts read model: one row per contact ever created in a workspace that is not deleted
 * (deleted contacts lose their row: no PII survives). Merged contacts keep a row with
 * `status = 'merged'` and `merged_into`, so their id can answer 410 with a link; they are never
 * listed or searched. Column names follow Intercom's field names (`location.country` →
 * `location_country`). Booleans are integers 0/1 in both dialects.
 */
export interface ContactsTable {
  workspace_id: string;
  id: string;
  /** `visitor` | `lead` | `user` (the role as of the last event). */
  role: string;
  /** `live` | `merged`. */
  status: string;
  merged_into: string | null;
  archived: number;
  external_id: string | null;
  email: string | null;
  email_domain: string | null;
  phone: string | null;
  name: string | null;
  avatar: string | null;
  owner_id: string | null;
  /** The visitor's anonymous messenger id (`user_id` of Intercom's visitor object). */
  visitor_user_id: string | null;
  created_at: number;
  updated_at: number;
  signed_up_at: number | null;
  last_seen_at: number | null;
  last_replied_at: number | null;
  last_contacted_at: number | null;
  unsubscribed_from_emails: number;
  has_hard_bounced: number;
  marked_email_as_spam: number;
  language_override: string | null;
  browser: string | null;
  browser_version: string | null;
  browser_language: string | null;
  os: string | null;
  location_country: string | null;
  location_region: string | null;
  location_city: string | null;
  /** The messenger's last seen referrer and campaign parameters (shown on the visitor object). */
  referrer: string | null;
  utm_campaign: string | null;
  utm_content: string | null;
  utm_medium: string | null;
  utm_source: string | null;
  utm_term: string | null;
  /** JSON object text in SQLite, `jsonb` in PostgreSQL. */
  custom_attributes: string;
  /** JSON array of `{source_contact_id, source_contact_role, merged_at}`. */
  merge_history: string;
  /** JSON object: when each field was last written, in event time (the fold's `fieldWrittenAt`). */
  field_written_at: string;
  /** Stream revision of the last applied event: makes re-applying an event a no-op. */
  revision: number;
}

/**
 * Per external_id, the contact that took it last, while that contact still has it: live, or
 * merged (a merged lead keeps its value). What happened to a value no live contact holds:
 * `find_by_external_id` answers 410 only while its latest holder is a merged lead. A contact that
 * gives the value up (changes it, is deleted, or goes with the user it was merged into) loses its
 * row, so no value outlives the contact's data.
 */
export interface ExternalIdHoldersTable {
  workspace_id: string;
  external_id: string;
  contact_id: string;
  /** `positionText` of the event that gave it the value: a replayed older claim changes nothing. */
  position: string;
}

/** The contacts projection's tables: the contacts, and the attribute value counts it keeps. */
export interface ContactsReadModel extends AttributeValuesReadModel {
  contacts: ContactsTable;
  contacts_external_id_holders: ExternalIdHoldersTable;
}

/**
 * Every column, in declaration order (raw multi-row inserts name their columns). Written as a
 * record so that adding a column to `ContactsTable` without listing it here fails to compile.
 */
const COLUMN_SET: Record<keyof ContactsTable, true> = {
  workspace_id: true,
  id: true,
  role: true,
  status: true,
  merged_into: true,
  archived: true,
  external_id: true,
  email: true,
  email_domain: true,
  phone: true,
  name: true,
  avatar: true,
  owner_id: true,
  visitor_user_id: true,
  created_at: true,
  updated_at: true,
  signed_up_at: true,
  last_seen_at: true,
  last_replied_at: true,
  last_contacted_at: true,
  unsubscribed_from_emails: true,
  has_hard_bounced: true,
  marked_email_as_spam: true,
  language_override: true,
  browser: true,
  browser_version: true,
  browser_language: true,
  os: true,
  location_country: true,
  location_region: true,
  location_city: true,
  referrer: true,
  utm_campaign: true,
  utm_content: true,
  utm_medium: true,
  utm_source: true,
  utm_term: true,
  custom_attributes: true,
  merge_history: true,
  field_written_at: true,
  revision: true,
};

export const CONTACT_COLUMNS = Object.keys(COLUMN_SET) as readonly (keyof ContactsTable)[];

/**
 * The row whose values are `values`, in `CONTACT_COLUMNS` order (`selectByIds`): one literal, so
 * every decoded row has one shape.
 */
export function contactRowOf(values: readonly unknown[]): ContactsTable {
  return {
    workspace_id: values[0] as ContactsTable['workspace_id'],
    id: values[1] as ContactsTable['id'],
    role: values[2] as ContactsTable['role'],
    status: values[3] as ContactsTable['status'],
    merged_into: values[4] as ContactsTable['merged_into'],
    archived: values[5] as ContactsTable['archived'],
    external_id: values[6] as ContactsTable['external_id'],
    email: values[7] as ContactsTable['email'],
    email_domain: values[8] as ContactsTable['email_domain'],
    phone: values[9] as ContactsTable['phone'],
    name: values[10] as ContactsTable['name'],
    avatar: values[11] as ContactsTable['avatar'],
    owner_id: values[12] as ContactsTable['owner_id'],
    visitor_user_id: values[13] as ContactsTable['visitor_user_id'],
    created_at: values[14] as ContactsTable['created_at'],
    updated_at: values[15] as ContactsTable['updated_at'],
    signed_up_at: values[16] as ContactsTable['signed_up_at'],
    last_seen_at: values[17] as ContactsTable['last_seen_at'],
    last_replied_at: values[18] as ContactsTable['last_replied_at'],
    last_contacted_at: values[19] as ContactsTable['last_contacted_at'],
    unsubscribed_from_emails: values[20] as ContactsTable['unsubscribed_from_emails'],
    has_hard_bounced: values[21] as ContactsTable['has_hard_bounced'],
    marked_email_as_spam: values[22] as ContactsTable['marked_email_as_spam'],
    language_override: values[23] as ContactsTable['language_override'],
    browser: values[24] as ContactsTable['browser'],
    browser_version: values[25] as ContactsTable['browser_version'],
    browser_language: values[26] as ContactsTable['browser_language'],
    os: values[27] as ContactsTable['os'],
    location_country: values[28] as ContactsTable['location_country'],
    location_region: values[29] as ContactsTable['location_region'],
    location_city: values[30] as ContactsTable['location_city'],
    referrer: values[31] as ContactsTable['referrer'],
    utm_campaign: values[32] as ContactsTable['utm_campaign'],
    utm_content: values[33] as ContactsTable['utm_content'],
    utm_medium: values[34] as ContactsTable['utm_medium'],
    utm_source: values[35] as ContactsTable['utm_source'],
    utm_term: values[36] as ContactsTable['utm_term'],
    custom_attributes: values[37] as ContactsTable['custom_attributes'],
    merge_history: values[38] as ContactsTable['merge_history'],
    field_written_at: values[39] as ContactsTable['field_written_at'],
    revision: values[40] as ContactsTable['revision'],
  };
}

/**
 * The row's values in `CONTACT_COLUMNS` order, `contactRowOf` undone: one literal of named reads,
 * for `RowWrites` to compare a loaded row with the folded one.
 */
export function contactValuesOf(row: ContactsTable): unknown[] {
  return [
    row.workspace_id,
    row.id,
    row.role,
    row.status,
    row.merged_into,
    row.archived,
    row.external_id,
    row.email,
    row.email_domain,
    row.phone,
    row.name,
    row.avatar,
    row.owner_id,
    row.visitor_user_id,
    row.created_at,
    row.updated_at,
    row.signed_up_at,
    row.last_seen_at,
    row.last_replied_at,
    row.last_contacted_at,
    row.unsubscribed_from_emails,
    row.has_hard_bounced,
    row.marked_email_as_spam,
    row.language_override,
    row.browser,
    row.browser_version,
    row.browser_language,
    row.os,
    row.location_country,
    row.location_region,
    row.location_city,
    row.referrer,
    row.utm_campaign,
    row.utm_content,
    row.utm_medium,
    row.utm_source,
    row.utm_term,
    row.custom_attributes,
    row.merge_history,
    row.field_written_at,
    row.revision,
  ];
}

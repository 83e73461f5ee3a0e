import type { ContactsTable } from '../../../projections/contacts/contacts.table';
import type { IntercomVersion } from '../../shared/http/intercom-version';
import type { MergeHistoryItem } from '../domain/contact.state';

const parseJson = <T>(value: unknown, fallback: T): T =>
  value === null || value === undefined
    ? fallback
    : ((typeof value === 'string' ? JSON.parse(value) : value) as T);

/** A big-integer column read back from PostgreSQL arrives as a string. */
const toNumber = (value: number | string | null): number | null =>
  value === null ? null : Number(value);

const emptyList = (url: string) => ({
  type: 'list',
  data: [],
  url,
  total_count: 0,
  has_more: false,
});

/**
 * The Intercom `contact` object (API 2.14–2.16). Fields we do not track (mobile SDK data, email
 * engagement, push messaging, tags, notes, companies) are present with their empty values, as
 * Intercom shows them for a contact that has none. `merge_history` is given to users when asked.
 */
export function toContactResponse(
  row: ContactsTable,
  version: IntercomVersion,
  options: { readonly includeMergeHistory?: boolean } = {},
) {
  const ownerId =
    row.owner_id === null
      ? null
      : !version.atLeast(2, 16) && /^\d+$/.test(row.owner_id)
        ? Number(row.owner_id)
        : row.owner_id;
  return {
    type: 'contact' as const,
    id: row.id,
    workspace_id: row.workspace_id,
    external_id: row.external_id,
    role: row.role,
    email: row.email,
    email_domain: row.email_domain,
    phone: row.phone,
    name: row.name,
    owner_id: ownerId,
    has_hard_bounced: row.has_hard_bounced === 1,
    marked_email_as_spam: row.marked_email_as_spam === 1,
    unsubscribed_from_emails: row.unsubscribed_from_emails === 1,
    created_at: toNumber(row.created_at),
    updated_at: toNumber(row.updated_at),
    signed_up_at: toNumber(row.signed_up_at),
    last_seen_at: toNumber(row.last_seen_at),
    last_replied_at: toNumber(row.last_replied_at),
    last_contacted_at: toNumber(row.last_contacted_at),
    last_email_opened_at: null,
    last_email_clicked_at: null,
    language_override: row.language_override,
    browser: row.browser,
    browser_version: row.browser_version,
    browser_language: row.browser_language,
    os: row.os,
    android_app_name: null,
    android_app_version: null,
    android_device: null,
    android_os_version: null,
    android_sdk_version: null,
    android_last_seen_at: null,
    ios_app_name: null,
    ios_app_version: null,
    ios_device: null,
    ios_os_version: null,
    ios_sdk_version: null,
    ios_last_seen_at: null,
    custom_attributes: parseJson<Record<string, unknown>>(row.custom_attributes, {}),
    avatar: row.avatar === null ? null : { type: 'avatar', image_url: row.avatar },
    tags: emptyList(`/contacts/${row.id}/tags`),
    notes: emptyList(`/contacts/${row.id}/notes`),
    companies: emptyList(`/contacts/${row.id}/companies`),
    location: {
      type: 'location',
      country: row.location_country,
      region: row.location_region,
      city: row.location_city,
      country_code: null,
      continent_code: null,
    },
    social_profiles: { type: 'list', data: [] },
    archived: row.archived === 1,
    enabled_push_messaging: null,
    // Intercom returns it for users only: leads are merged away, never into.
    ...(options.includeMergeHistory && row.role === 'user'
      ? {
          merge_history: mergeHistoryOf(row).map(toMergeHistoryItem),
        }
      : {}),
  };
}

export type ContactResponse = ReturnType<typeof toContactResponse>;

/** A user's merges, in the order it absorbed the contacts. */
export const mergeHistoryOf = (row: Pick<ContactsTable, 'merge_history'>): MergeHistoryItem[] =>
  parseJson<MergeHistoryItem[]>(row.merge_history, []);

/** Intercom's `merge_history` item, its fields in Intercom's order whatever the store kept. */
export const toMergeHistoryItem = (item: MergeHistoryItem) => ({
  type: 'merge_history' as const,
  source_contact_id: item.source_contact_id,
  // Intercom's roles here are lead and user; only leads and visitors are merged away, and a
  // visitor is a lead to the Contacts API.
  source_contact_role: 'lead' as const,
  merged_at: item.merged_at,
});

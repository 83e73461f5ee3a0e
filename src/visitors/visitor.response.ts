import type { ContactsTable } from '../../projections/contacts/contacts.table';
import { arrivalOf } from '../contacts/domain/contact.attributes';

const toNumber = (value: number | string | null): number | null =>
  value === null ? null : Number(value);

const parseJson = <T>(value: unknown, fallback: T): T =>
  value === null || value === undefined
    ? fallback
    : ((typeof value === 'string' ? JSON.parse(value) : value) as T);

/** The entries whose value is not null. */
const presentOnly = <T extends Record<string, unknown>>(entries: T) =>
  Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== null)) as {
    [Key in keyof T]?: NonNullable<T[Key]>;
  };

/**
 * Intercom's `visitor` object. Fields we do not track (pseudonym, sessions, tags, segments,
 * companies) are present with their empty values, as Intercom shows them for a visitor that has
 * none. Referrer and UTM parameters are those of the last sighting that reported them.
 */
export function toVisitorResponse(row: ContactsTable) {
  return {
    type: 'visitor' as const,
    id: row.id,
    user_id: row.visitor_user_id,
    anonymous: row.email === null,
    email: row.email ?? '',
    phone: row.phone,
    name: row.name,
    pseudonym: null,
    avatar: { type: 'avatar', image_url: row.avatar },
    app_id: row.workspace_id,
    companies: { type: 'company.list', companies: [] },
    // Its fields are strings in Intercom's schema: those a sighting never reported (codes,
    // postal code and time zone are never in one) are left out, as Intercom's example has them.
    location_data: {
      type: 'location_data',
      ...presentOnly({
        city_name: row.location_city,
        region_name: row.location_region,
        country_name: row.location_country,
      }),
    },
    // Null until the visitor is seen making a request, as Intercom's example answers it.
    last_request_at: toNumber(row.last_seen_at),
    // The OpenAPI schema (and so the SDK's type) spells it so, an integer there: left out until
    // the visitor is seen, as signed_up_at is.
    ...presentOnly({ las_request_at: toNumber(row.last_seen_at) }),
    created_at: toNumber(row.created_at),
    remote_created_at: toNumber(row.created_at),
    // An integer in Intercom's schema: left out for a visitor that never signed up.
    ...presentOnly({ signed_up_at: toNumber(row.signed_up_at) }),
    updated_at: toNumber(row.updated_at),
    session_count: 0,
    social_profiles: { type: 'social_profile.list', social_profiles: [] },
    owner_id: row.owner_id,
    unsubscribed_from_emails: row.unsubscribed_from_emails === 1,
    marked_email_as_spam: row.marked_email_as_spam === 1,
    has_hard_bounced: row.has_hard_bounced === 1,
    tags: { type: 'tag.list', tags: [] },
    segments: { type: 'segment.list', segments: [] },
    custom_attributes: parseJson<Record<string, unknown>>(row.custom_attributes, {}),
    ...arrivalOf(row),
    do_not_track: null,
  };
}

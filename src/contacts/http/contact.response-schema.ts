import { nullable } from '../../shared/http/documented-route-schema';
import { LIST_PAGES_SCHEMA } from '../../shared/http/list-pages.schema';

/**
 * JSON schema of the contact object (`toContactResponse`), given to Fastify as the 200 response
 * schema so it serializes with a compiled serializer instead of `JSON.stringify`. Every property
 * of the object must be listed: the serializer writes only what the schema names.
 */
const emptyList = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    data: { type: 'array', items: { type: 'object', additionalProperties: true } },
    url: { type: 'string' },
    total_count: { type: 'integer' },
    has_more: { type: 'boolean' },
  },
};

export const CONTACT_RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    id: { type: 'string' },
    workspace_id: { type: 'string' },
    external_id: nullable('string'),
    role: { type: 'string' },
    email: nullable('string'),
    email_domain: nullable('string'),
    phone: nullable('string'),
    name: nullable('string'),
    owner_id: { type: ['integer', 'string', 'null'] },
    has_hard_bounced: { type: 'boolean' },
    marked_email_as_spam: { type: 'boolean' },
    unsubscribed_from_emails: { type: 'boolean' },
    created_at: nullable('integer'),
    updated_at: nullable('integer'),
    signed_up_at: nullable('integer'),
    last_seen_at: nullable('integer'),
    last_replied_at: nullable('integer'),
    last_contacted_at: nullable('integer'),
    last_email_opened_at: nullable('integer'),
    last_email_clicked_at: nullable('integer'),
    language_override: nullable('string'),
    browser: nullable('string'),
    browser_version: nullable('string'),
    browser_language: nullable('string'),
    os: nullable('string'),
    android_app_name: nullable('string'),
    android_app_version: nullable('string'),
    android_device: nullable('string'),
    android_os_version: nullable('string'),
    android_sdk_version: nullable('string'),
    android_last_seen_at: nullable('integer'),
    ios_app_name: nullable('string'),
    ios_app_version: nullable('string'),
    ios_device: nullable('string'),
    ios_os_version: nullable('string'),
    ios_sdk_version: nullable('string'),
    ios_last_seen_at: nullable('integer'),
    custom_attributes: { type: 'object', additionalProperties: true },
    avatar: {
      type: ['object', 'null'],
      properties: { type: { type: 'string' }, image_url: nullable('string') },
    },
    tags: emptyList,
    notes: emptyList,
    companies: emptyList,
    location: {
      type: 'object',
      properties: {
        type: { type: 'string' },
        country: nullable('string'),
        region: nullable('string'),
        city: nullable('string'),
        country_code: nullable('string'),
        continent_code: nullable('string'),
      },
    },
    social_profiles: {
      type: 'object',
      properties: {
        type: { type: 'string' },
        data: { type: 'array', items: { type: 'object', additionalProperties: true } },
      },
    },
    archived: { type: 'boolean' },
    enabled_push_messaging: nullable('boolean'),
    merge_history: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          type: { type: 'string' },
          source_contact_id: { type: 'string' },
          source_contact_role: { type: 'string', enum: ['lead', 'user'] },
          merged_at: { type: 'integer' },
        },
      },
    },
  },
} as const;

/** Fastify route schema for the routes that answer one contact. */
export const CONTACT_ROUTE_SCHEMA = { response: { 200: CONTACT_RESPONSE_SCHEMA } };

/** The list of contacts that list and search answer (`searchListResponse`). */
export const CONTACT_LIST_ROUTE_SCHEMA = {
  response: {
    200: {
      type: 'object',
      properties: {
        type: { type: 'string' },
        data: { type: 'array', items: CONTACT_RESPONSE_SCHEMA },
        total_count: { type: 'integer' },
        pages: {
          type: 'object',
          properties: {
            type: { type: 'string' },
            page: { type: 'integer' },
            per_page: { type: 'integer' },
            total_pages: { type: 'integer' },
            next: {
              type: 'object',
              properties: {
                page: { type: 'integer' },
                starting_after: { type: 'string' },
              },
            },
          },
        },
      },
    },
  },
};

/** Intercom's `contact_reference` and the one flag a route changed (`contact_deleted`, …). */
const contactReferenceWith = (flag: 'deleted' | 'archived' | 'blocked') => ({
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['contact'] },
    id: { type: 'string' },
    external_id: nullable('string'),
    [flag]: { type: 'boolean' },
  },
});

/** Intercom's `contact_deleted`. */
export const CONTACT_DELETED_SCHEMA = contactReferenceWith('deleted');
/** Intercom's `contact_archived` and `contact_unarchived`. */
export const CONTACT_ARCHIVED_SCHEMA = contactReferenceWith('archived');
/** Intercom's `contact_blocked`. */
export const CONTACT_BLOCKED_SCHEMA = contactReferenceWith('blocked');

/** `GET /contacts/{id}/timeline` (ours): `TimelinePage` as a list. */
export const CONTACT_TIMELINE_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['list'] },
    data: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          type: { type: 'string', enum: ['timeline_event'] },
          id: { type: 'string' },
          event_type: { type: 'string' },
          contact_id: { type: 'string' },
          occurred_at: { type: 'integer', description: 'Event time, unix seconds' },
          recorded_at: { type: 'integer', description: 'When the log stored it, unix seconds' },
          position: { type: 'string', description: 'Log position, as X-Position gives it' },
          cause: {
            type: 'object',
            properties: { actor: { type: 'string' }, causation_id: { type: 'string' } },
          },
          summary: { type: 'string' },
        },
      },
    },
    total_count: { type: 'integer' },
    pages: LIST_PAGES_SCHEMA,
  },
};

/** Tags and subscription types of a contact: Intercom's list, always empty here. */
export const CONTACT_TAGS_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['list'] },
    data: { type: 'array', maxItems: 0, items: { type: 'object' } },
  },
};

/** Intercom's `company_list` and `note_list` answers for a contact: always empty here. */
const emptyNumberedList = (items: 'companies' | 'data') => ({
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['list'] },
    [items]: { type: 'array', maxItems: 0, items: { type: 'object' } },
    total_count: { type: 'integer' },
    pages: LIST_PAGES_SCHEMA,
  },
});
export const CONTACT_COMPANIES_SCHEMA = emptyNumberedList('companies');
export const CONTACT_NOTES_SCHEMA = emptyNumberedList('data');

/** Intercom's `merge_history_list`. */
export const MERGE_HISTORY_LIST_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['list'] },
    data: { type: 'array', items: CONTACT_RESPONSE_SCHEMA.properties.merge_history.items },
    next_cursor: { type: 'string', description: 'Absent on the last page' },
    has_more: { type: 'boolean' },
  },
};

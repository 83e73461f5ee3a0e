import { nullable } from '../shared/http/documented-route-schema';

const emptyList = (type: string, items: string) => ({
  type: 'object',
  properties: {
    type: { type: 'string', enum: [type] },
    [items]: { type: 'array', maxItems: 0, items: { type: 'object' } },
  },
});

/** JSON schema of Intercom's `visitor` object as `toVisitorResponse` answers it, for the document. */
export const VISITOR_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['visitor'] },
    id: { type: 'string' },
    user_id: { type: 'string' },
    anonymous: { type: 'boolean' },
    email: { type: 'string', description: 'Empty when the visitor gave none' },
    phone: nullable('string'),
    name: nullable('string'),
    pseudonym: nullable('string'),
    avatar: {
      type: 'object',
      properties: { type: { type: 'string', enum: ['avatar'] }, image_url: nullable('string') },
    },
    app_id: { type: 'string' },
    companies: emptyList('company.list', 'companies'),
    location_data: {
      type: 'object',
      properties: {
        type: { type: 'string', enum: ['location_data'] },
        city_name: { type: 'string' },
        region_name: { type: 'string' },
        country_name: { type: 'string' },
      },
    },
    last_request_at: nullable('integer'),
    las_request_at: {
      type: 'integer',
      description: "Intercom's schema spells it so; absent until the visitor is seen",
    },
    created_at: nullable('integer'),
    remote_created_at: nullable('integer'),
    signed_up_at: { type: 'integer', description: 'Absent when the visitor never signed up' },
    updated_at: nullable('integer'),
    session_count: { type: 'integer' },
    social_profiles: emptyList('social_profile.list', 'social_profiles'),
    owner_id: { type: ['integer', 'string', 'null'] },
    unsubscribed_from_emails: { type: 'boolean' },
    marked_email_as_spam: { type: 'boolean' },
    has_hard_bounced: { type: 'boolean' },
    tags: emptyList('tag.list', 'tags'),
    segments: emptyList('segment.list', 'segments'),
    custom_attributes: { type: 'object', additionalProperties: true },
    referrer: nullable('string'),
    utm_campaign: nullable('string'),
    utm_content: nullable('string'),
    utm_medium: nullable('string'),
    utm_source: nullable('string'),
    utm_term: nullable('string'),
    do_not_track: nullable('boolean'),
  },
};

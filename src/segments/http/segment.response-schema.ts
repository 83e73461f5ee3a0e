import { CONTACT_LIST_ROUTE_SCHEMA } from '../../contacts/http/contact.response-schema';
import { LIST_PAGES_SCHEMA } from '../../shared/http/list-pages.schema';

/** JSON schemas of the segment routes' answers (`segment.response.ts`), for the document. */

/** Intercom's `segment`; `count` only when asked for (or on our extension routes). */
export const SEGMENT_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['segment'] },
    id: { type: 'string' },
    name: { type: 'string' },
    created_at: { type: 'integer' },
    updated_at: { type: 'integer' },
    person_type: { type: 'string', enum: ['user', 'contact', 'all'] },
    count: { type: 'integer', description: 'With include_count=true' },
  },
} as const;

/** Our extension routes' segment: also its rule and the rule's version. */
export const SEGMENT_DEFINITION_SCHEMA = {
  ...SEGMENT_SCHEMA,
  properties: {
    ...SEGMENT_SCHEMA.properties,
    rule: { description: 'The rule as it was given (a search query plus the rule operators)' },
    rule_version: { type: 'integer' },
  },
};

/** Intercom's `segment_list`. */
export const SEGMENT_LIST_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['segment.list'] },
    segments: { type: 'array', items: SEGMENT_SCHEMA },
  },
};

/** Intercom's `contact_segments`. */
export const CONTACT_SEGMENTS_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['list'] },
    data: { type: 'array', items: SEGMENT_SCHEMA },
  },
};

export const SEGMENT_DELETED_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['segment'] },
    id: { type: 'string' },
    deleted: { type: 'boolean' },
  },
};

/** Members (and a preview's): the contact list of `POST /contacts/search`. */
export const SEGMENT_CONTACTS_SCHEMA = CONTACT_LIST_ROUTE_SCHEMA.response[200];

const MEMBERSHIP_CHANGE_PROPERTIES = {
  type: { type: 'string', enum: ['segment.membership_change'] },
  contact_id: { type: 'string' },
  change: { type: 'string', enum: ['entered', 'exited'] },
  effective_at: { type: 'integer' },
  cause: {
    oneOf: [
      {
        type: 'object',
        properties: {
          type: { type: 'string', enum: ['event'] },
          event_id: { type: 'string' },
          event_type: { type: 'string' },
        },
      },
      {
        type: 'object',
        properties: {
          type: { type: 'string', enum: ['deadline'] },
          deadline: { type: 'integer' },
        },
      },
    ],
  },
};

export const SEGMENT_HISTORY_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['segment.history'] },
    segment_id: { type: 'string' },
    data: {
      type: 'array',
      items: {
        type: 'object',
        properties: { ...MEMBERSHIP_CHANGE_PROPERTIES, rule_version: { type: 'integer' } },
      },
    },
    total_count: { type: 'integer' },
    pages: LIST_PAGES_SCHEMA,
  },
};

/** What an unsaved rule would have changed: the history's changes, without a rule version. */
export const SEGMENT_PREVIEW_HISTORY_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['segment.preview_history'] },
    data: { type: 'array', items: { type: 'object', properties: MEMBERSHIP_CHANGE_PROPERTIES } },
    total_count: { type: 'integer' },
    pages: LIST_PAGES_SCHEMA,
  },
};

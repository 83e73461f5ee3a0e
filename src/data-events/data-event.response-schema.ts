/** JSON schemas of `GET /events`' answers (Intercom's `data_event_list`, `data_event_summary`). */
const identity = {
  email: { type: 'string', description: 'Absent for a contact without one' },
  intercom_user_id: { type: 'string' },
  user_id: { type: 'string', description: 'Absent for a contact without one' },
} as const;

export const DATA_EVENT_LIST_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['event.list'] },
    events: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          type: { type: 'string', enum: ['event'] },
          id: { type: 'string' },
          event_name: { type: 'string' },
          created_at: { type: 'integer' },
          ...identity,
          metadata: { type: 'object', additionalProperties: true },
        },
      },
    },
    pages: {
      type: 'object',
      properties: { next: { type: 'string', description: 'The next page; absent on the last' } },
    },
  },
};

export const DATA_EVENT_SUMMARY_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['event.summary'] },
    ...identity,
    events: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          first: { type: 'string', format: 'date-time' },
          last: { type: 'string', format: 'date-time' },
          count: { type: 'integer' },
        },
      },
    },
  },
};

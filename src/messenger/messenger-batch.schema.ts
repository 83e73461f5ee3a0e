/** OpenAPI schemas of `POST /messenger/events`. */
const text = { type: 'string' } as const;

/** The batch as ingestion.md specifies it (the parser is the authority; this is its document). */
export const MESSENGER_BATCH_SCHEMA = {
  type: 'object',
  required: ['events'],
  properties: {
    events: {
      type: 'array',
      maxItems: 500,
      items: {
        type: 'object',
        required: ['id', 'type', 'occurred_at'],
        properties: {
          id: { ...text, description: "The producer's idempotency key" },
          type: {
            type: 'string',
            enum: [
              'visitor.seen',
              'conversation.started',
              'outbound.replied',
              'email.supplied',
              'contact.signed_up',
              'contact.logged_in',
              'contact.attributes_updated',
              'event.tracked',
            ],
          },
          occurred_at: { type: 'integer', description: 'Event time, unix seconds' },
          visitor_id: text,
          contact_id: text,
          external_id: text,
          email: text,
          attributes: { type: 'object', additionalProperties: true },
          context: { type: 'object', additionalProperties: true },
          event_name: text,
          metadata: { type: 'object', additionalProperties: true },
          conversation_id: text,
        },
      },
    },
  },
};

/** The answer: one result per item, in order. */
export const INGESTION_RESULT_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['ingestion.result'] },
    results: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { ...text, nullable: true },
          status: { type: 'string', enum: ['accepted', 'duplicate', 'rejected'] },
          contact_id: text,
          errors: {
            type: 'array',
            items: {
              type: 'object',
              properties: { code: text, message: text, field: text },
            },
          },
        },
      },
    },
  },
};

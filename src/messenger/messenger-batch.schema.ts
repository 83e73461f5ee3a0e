/** OpenAPI schemas of `POST /messenger/events`. */
import { MESSENGER_ITEM_TYPES } from './domain/messenger-item';
import { MAX_BATCH_ITEMS } from './domain/messenger-batch.parse';

const text = { type: 'string' } as const;

/** The batch as ingestion.md specifies it (the parser is the authority; this is its document). */
export const MESSENGER_BATCH_SCHEMA = {
  type: 'object',
  required: ['events'],
  properties: {
    events: {
      type: 'array',
      maxItems: MAX_BATCH_ITEMS,
      items: {
        type: 'object',
        required: ['id', 'type', 'occurred_at'],
        properties: {
          id: { ...text, description: "The producer's idempotency key" },
          type: { type: 'string', enum: [...MESSENGER_ITEM_TYPES] },
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

import type { Kysely } from 'kysely';
import { toContactEvent } from '../../src/contacts/contact-event-codec';
import type { ContactEventType } from '../../src/contacts/domain/contact.events';
import { defineProjection } from '../../src/projection-runner/projection';
import { insertRows } from '../shared/raw-insert';
import type { DataEventsReadModel, DataEventsTable } from './data-events.table';
import { createDataEventSummariesTable, createDataEventsTable } from './data-events.schema';

export const DATA_EVENTS_PROJECTION_EVENT_TYPES: readonly ContactEventType[] = [
  'DataEventTracked',
  'DataEventSummaryReported',
  'LeadMergeAbsorbed',
  'ContactDeleted',
];

/** Every column, in table order (`insertRows` names them). */
const DATA_EVENT_COLUMNS = [
  'workspace_id',
  'event_id',
  'contact_id',
  'source_contact_id',
  'name',
  'created_at',
  'metadata',
] as const satisfies readonly (keyof DataEventsTable)[];

/**
 * Data events per contact. Events are applied in log order; runs of `DataEventTracked` are
 * inserted together. A merged lead's events become its target's, all of them: one of the same
 * name and created_at as one of the target's is a second event, accepted on another contact (a
 * retry is refused by the contact's decider, which takes the lead's keys with the merge, before it
 * reaches the log). Safe to apply twice: inserts are keyed by event id and ignore an existing row,
 * and moving or deleting a contact's rows again changes nothing.
 */
export const DATA_EVENTS_PROJECTION = 'data_events';

export const dataEventsProjection = defineProjection<DataEventsReadModel>({
  name: DATA_EVENTS_PROJECTION,
  // 2: a merged lead's copies of the target's events are dropped. 3: reported summaries. 4: they
  // are kept again: two contacts' events, not one event twice (probe Q's finding 5).
  version: 4,
  eventTypes: DATA_EVENTS_PROJECTION_EVENT_TYPES,
  tables: ['data_events', 'data_events_summaries'],
  migrations: [
    { name: '001_data_events', up: createDataEventsTable },
    { name: '002_data_events_summaries', up: createDataEventSummariesTable },
  ],
  async apply(events, tx, tables) {
    let pending: DataEventsTable[] = [];
    const flush = async () => {
      // As SQL text (see `insertRows`): Kysely built and compiled every row of every chunk.
      await insertRows(
        tx as unknown as Kysely<unknown>,
        tables('data_events'),
        DATA_EVENT_COLUMNS,
        pending,
        'ON CONFLICT ("workspace_id", "event_id") DO NOTHING',
      );
      pending = [];
    };
    for (const recorded of events) {
      const event = toContactEvent(recorded);
      switch (event.type) {
        case 'DataEventTracked':
          pending.push({
            workspace_id: event.data.workspaceId,
            event_id: recorded.id,
            contact_id: event.data.contactId,
            source_contact_id: event.data.contactId,
            name: event.data.name,
            created_at: event.data.createdAt,
            metadata: JSON.stringify(event.data.metadata),
          });
          break;
        case 'DataEventSummaryReported':
          await tx
            .insertInto('data_events_summaries')
            .values({
              workspace_id: event.data.workspaceId,
              event_id: recorded.id,
              contact_id: event.data.contactId,
              name: event.data.name,
              count: event.data.count,
              first_at: event.data.first,
              last_at: event.data.last,
            })
            .onConflict((conflict) => conflict.columns(['workspace_id', 'event_id']).doNothing())
            .execute();
          break;
        case 'LeadMergeAbsorbed':
          await flush();
          for (const table of ['data_events', 'data_events_summaries'] as const) {
            await tx
              .updateTable(table)
              .set({ contact_id: event.data.contactId })
              .where('workspace_id', '=', event.data.workspaceId)
              .where('contact_id', '=', event.data.from)
              .execute();
          }
          break;
        case 'ContactDeleted':
          await flush();
          for (const table of ['data_events', 'data_events_summaries'] as const) {
            await tx
              .deleteFrom(table)
              .where('workspace_id', '=', event.data.workspaceId)
              .where('contact_id', '=', event.data.contactId)
              .execute();
          }
          break;
        case 'VisitorRegistered':
        case 'ConversationStarted':
        case 'OutboundReplied':
        case 'VisitorBecameLead':
        case 'LeadCreated':
        case 'UserCreated':
        case 'LeadSignedUp':
        case 'ContactLoggedIn':
        case 'ContactUpdated':
        case 'ContactSeen':
        case 'ContactArchived':
        case 'ContactUnarchived':
        case 'ContactBlocked':
        case 'ContactMergedInto':
        case 'ContactMergeReverted':
          // Not subscribed (see eventTypes); listed so that a new event type is a decision here.
          break;
      }
    }
    await flush();
  },
});

import type { EventMetadata } from '../shared/event-store/event-store.port';
import type { ContactEvent } from './domain/contact.events';

/**
 * An event's metadata in an append to a contact's stream: the append's, whose `occurredAt` is when
 * the command's fact happened, except for a conversion dated later than that (a conversation
 * reported late, from before the contact was registered, converts it at its registration: see
 * `becomeLeadIfVisitor`), which is recorded at its own time, so that the timeline, the export and
 * `as_of`, which go by the log's time, date it as the funnel does.
 */
export const contactEventMetadata = (
  event: ContactEvent,
  metadata: EventMetadata,
): EventMetadata =>
  event.type === 'VisitorBecameLead' && event.data.becameLeadAt * 1000 > metadata.occurredAt
    ? { ...metadata, occurredAt: event.data.becameLeadAt * 1000 }
    : metadata;

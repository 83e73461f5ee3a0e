import type { EventMetadata } from '../shared/event-store/event-store.port';
import type { ContactEvent } from './domain/contact.events';

/**
 * An event's metadata in an append to a contact's stream: the append's, whose `occurredAt` is when
 * the command's fact happened, except for a conversion dated later than that (a conversation, or
 * an email, reported late from before the contact was registered converts it at its
 * registration: see `becomeLeadIfVisitor`), which is recorded at its own time, so that the
 * timeline, the export and `as_of`, which go by the log's time, date it as the funnel does.
 */
export const contactEventMetadata = (
  event: ContactEvent,
  metadata: EventMetadata,
): EventMetadata => {
  const convertedAt = conversionTimeOf(event);
  return convertedAt !== undefined && convertedAt * 1000 > metadata.occurredAt
    ? { ...metadata, occurredAt: convertedAt * 1000 }
    : metadata;
};

const conversionTimeOf = (event: ContactEvent): number | undefined => {
  if (event.type === 'VisitorBecameLead') return event.data.becameLeadAt;
  if (event.type === 'ContactUpdated' && event.data.changes.role === 'lead')
    return event.data.updatedAt;
  return undefined;
};

import type { ContactEvent, ContactEventType } from './domain/contact.events';

/** Every contact event type, in the order the domain introduces them. */
export const CONTACT_EVENT_TYPES: readonly ContactEventType[] = [
  'VisitorRegistered',
  'ConversationStarted',
  'OutboundReplied',
  'VisitorBecameLead',
  'LeadCreated',
  'UserCreated',
  'LeadSignedUp',
  'ContactLoggedIn',
  'ContactUpdated',
  'ContactSeen',
  'ContactArchived',
  'ContactUnarchived',
  'ContactBlocked',
  'ContactMergedInto',
  'ContactMergeReverted',
  'LeadMergeAbsorbed',
  'ContactDeleted',
  'DataEventTracked',
  'DataEventSummaryReported',
];

const KNOWN_TYPES: ReadonlySet<string> = new Set(CONTACT_EVENT_TYPES);

/**
 * A stored event as the contact domain's event. Payloads are schema version 1 everywhere so far;
 * an upcaster for a later version belongs here, so every reader (handlers, projections) shares it.
 */
export function toContactEvent(stored: {
  readonly type: string;
  readonly data: unknown;
}): ContactEvent {
  if (!KNOWN_TYPES.has(stored.type)) throw new Error(`Not a contact event: ${stored.type}`);
  return { type: stored.type, data: stored.data } as ContactEvent;
}

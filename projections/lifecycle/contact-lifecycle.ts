import type { ContactEvent, ContactEventType } from '../../src/contacts/domain/contact.events';

/** The contact events that move a contact along visitor → lead → user. */
export const LIFECYCLE_EVENT_TYPES: readonly ContactEventType[] = [
  'VisitorRegistered',
  'VisitorBecameLead',
  'LeadCreated',
  'UserCreated',
  'LeadSignedUp',
  'ContactUpdated',
];

/**
 * When a contact first was a visitor, a lead and a user (event time, unix seconds; null: never).
 * The earliest of each: a becoming reported late (a conversation from before the visitor became
 * a lead, say) moves it back to its own time, so the fold is the same in any order of arrival,
 * and applying an event twice changes nothing.
 */
export interface ContactLifecycle {
  readonly visitorAt: number | null;
  readonly leadAt: number | null;
  readonly userAt: number | null;
}

export const NO_LIFECYCLE: ContactLifecycle = { visitorAt: null, leadAt: null, userAt: null };

const earliest = (known: number | null, at: number): number =>
  known === null || at < known ? at : known;

/**
 * The lifecycle after `event`. A merge converts no one (the user merged into was counted when it
 * became one; the merged lead stays counted as the lead it was), and a deletion or a reverted
 * merge takes back nothing that happened.
 */
export function lifecycleAfter(lifecycle: ContactLifecycle, event: ContactEvent): ContactLifecycle {
  switch (event.type) {
    case 'VisitorRegistered':
      return { ...lifecycle, visitorAt: earliest(lifecycle.visitorAt, event.data.registeredAt) };
    case 'VisitorBecameLead':
      return { ...lifecycle, leadAt: earliest(lifecycle.leadAt, event.data.becameLeadAt) };
    case 'LeadCreated':
      return { ...lifecycle, leadAt: earliest(lifecycle.leadAt, event.data.createdAt) };
    case 'UserCreated':
      return { ...lifecycle, userAt: earliest(lifecycle.userAt, event.data.createdAt) };
    case 'LeadSignedUp':
      return { ...lifecycle, userAt: earliest(lifecycle.userAt, event.data.signedUpAt) };
    case 'ContactUpdated': {
      const { role } = event.data.changes;
      if (role === 'lead')
        return { ...lifecycle, leadAt: earliest(lifecycle.leadAt, event.data.updatedAt) };
      if (role === 'user')
        return { ...lifecycle, userAt: earliest(lifecycle.userAt, event.data.updatedAt) };
      return lifecycle;
    }
    case 'ConversationStarted':
    case 'OutboundReplied':
    case 'ContactLoggedIn':
    case 'ContactSeen':
    case 'ContactArchived':
    case 'ContactUnarchived':
    case 'ContactBlocked':
    case 'ContactMergedInto':
    case 'ContactMergeReverted':
    case 'LeadMergeAbsorbed':
    case 'ContactDeleted':
    case 'DataEventTracked':
    case 'DataEventSummaryReported':
      return lifecycle;
  }
}

/** A visitor→lead conversion, counted when the contact became a lead: a visitor that did. */
export const convertedFromVisitor = (lifecycle: ContactLifecycle): boolean =>
  lifecycle.visitorAt !== null && lifecycle.leadAt !== null;

/**
 * A lead→user conversion, counted when the contact became a user: a lead (from then on) that did.
 * A visitor that signed up straight away was never a lead, and converts neither way.
 */
export const convertedFromLead = (lifecycle: ContactLifecycle): boolean =>
  lifecycle.leadAt !== null && lifecycle.userAt !== null && lifecycle.leadAt <= lifecycle.userAt;

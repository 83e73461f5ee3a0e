import type { ContactEvent, ContactEventType } from '../../src/contacts/domain/contact.events';
import { roleReachedBy } from '../../src/contacts/domain/contact-role-by-event-time';

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
 * When a contact first was a visitor, a lead and a user (event time, unix seconds; null: never),
 * as `as_of` tells its past: a contact holds the highest role its events up to then gave it (see
 * `roleReachedBy`), so one that was a user before its first conversion was never a lead (a
 * sign-up reported late, dated before the conversation that made the visitor a lead). Of one
 * second, the lead counts: it signed up as the lead it had just become. The earliest of each: a
 * becoming reported late moves it back to its own time, so the fold is the same in any order of
 * arrival, and applying an event twice changes nothing.
 */
export interface ContactLifecycle {
  readonly visitorAt: number | null;
  readonly leadAt: number | null;
  readonly userAt: number | null;
}

export const NO_LIFECYCLE: ContactLifecycle = { visitorAt: null, leadAt: null, userAt: null };

const earliest = (known: number | null, at: number): number =>
  known === null || at < known ? at : known;

const ROLE_AT = { visitor: 'visitorAt', lead: 'leadAt', user: 'userAt' } as const;

/**
 * The lifecycle after `event`. A merge converts no one (the user merged into was counted when it
 * became one; the merged lead stays counted as the lead it was), and a deletion or a reverted
 * merge takes back nothing that happened. A lead time after the user time is no lead's: the user
 * time only moves back, so it never will be one (and the fold stays order-free).
 */
export function lifecycleAfter(lifecycle: ContactLifecycle, event: ContactEvent): ContactLifecycle {
  const reached = roleReachedBy(event);
  if (reached === undefined) return lifecycle;
  const field = ROLE_AT[reached.role];
  const next = { ...lifecycle, [field]: earliest(lifecycle[field], reached.at) };
  return next.leadAt !== null && next.userAt !== null && next.leadAt > next.userAt
    ? { ...next, leadAt: null }
    : next;
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

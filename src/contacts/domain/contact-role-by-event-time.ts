import type { UnixSeconds } from './contact.attributes';
import type { ContactEvent, LiveRole } from './contact.events';

/** A role is only ever left for a higher one: visitor, then lead, then user (see `evolve`). */
const RANK: Readonly<Record<LiveRole, number>> = { visitor: 0, lead: 1, user: 2 };

/** A creation or promotion: the role an event gave its contact, and when (event time). */
export interface RoleReached {
  readonly role: LiveRole;
  readonly at: UnixSeconds;
}

/**
 * The role `event` gives its contact, if it creates or promotes one. `evolve` never moves a role
 * back, so a contact's role at an instant, as `as_of` folds it, is the highest of those its events
 * up to then gave, in whatever order they were recorded: a conversion dated after a sign-up
 * reported late makes no lead of the user the contact already was.
 */
export function roleReachedBy(event: ContactEvent): RoleReached | undefined {
  switch (event.type) {
    case 'VisitorRegistered':
      return { role: 'visitor', at: event.data.registeredAt };
    case 'VisitorBecameLead':
      return { role: 'lead', at: event.data.becameLeadAt };
    case 'LeadCreated':
      return { role: 'lead', at: event.data.createdAt };
    case 'UserCreated':
      return { role: 'user', at: event.data.createdAt };
    case 'LeadSignedUp':
      return { role: 'user', at: event.data.signedUpAt };
    case 'ContactUpdated':
      return event.data.changes.role === undefined
        ? undefined
        : { role: event.data.changes.role, at: event.data.updatedAt };
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
      return undefined;
  }
}

/** Whether reaching `role` is a change for a contact that held `held` (none: not created yet). */
export const isPromotion = (held: LiveRole | undefined, role: LiveRole): boolean =>
  held === undefined || RANK[role] > RANK[held];

/** The higher of two roles. */
export const higherRole = (held: LiveRole | undefined, role: LiveRole): LiveRole =>
  isPromotion(held, role) ? role : held!;

import type { SeenContext } from './contact.attributes';
import type { ContactEvent, LiveRole } from './contact.events';
import { higherRole, isPromotion, roleReachedBy } from './contact-role-by-event-time';

const names = (fields: object): string => Object.keys(fields).join(', ');

const withFields = (fields: object): string =>
  Object.keys(fields).length === 0 ? '' : ` with ${names(fields)}`;

/** Where a sighting came from, as far as its context says. */
const seenFrom = (context: SeenContext): string => {
  const where = [context.browser, context.os, context.location?.city, context.location?.country]
    .filter((part): part is string => typeof part === 'string' && part !== '')
    .join(', ');
  return where === '' ? '' : ` (${where})`;
};

/** Characters that break a line, or show as nothing: C0 and C1 controls, U+2028 and U+2029. */
const UNPRINTABLE = /[\p{Cc}\u2028\u2029]/gu;

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * The text with its unprintable characters escaped as JSON escapes them (`\n`, `\u2028`): the
 * values a summary quotes (event names, user ids, browsers) are taken as sent, and stay so in the
 * log; the summary shows them on one line.
 */
const oneLine = (text: string): string =>
  text.replace(
    UNPRINTABLE,
    (character) =>
      SHORT_ESCAPES[character] ?? `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

/** One line an analyst reads in a contact's timeline (history.md), for every contact event. */
export const summaryOf = (event: ContactEvent): string => oneLine(describe(event));

/**
 * The lines of a timeline's events, given in the order it shows them (event time, then
 * recording): each tells the role its contact held by event time, as `as_of` has that past. A
 * sign-up names the role held before it; a conversion to a role the contact held already, or a
 * higher one (a sign-up reported late, dated before its conversation), claims no change: an
 * update keeps its other changes, and a conversion alone has no line (`undefined`).
 */
export function summariesByEventTime(events: readonly ContactEvent[]): (string | undefined)[] {
  const held = new Map<string, LiveRole>();
  return events.map((event) => {
    const reached = roleReachedBy(event);
    if (reached === undefined) return summaryOf(event);
    const before = held.get(event.data.contactId);
    held.set(event.data.contactId, higherRole(before, reached.role));
    const told = isPromotion(before, reached.role)
      ? promotedFrom(event, before)
      : withoutPromotion(event);
    return told && summaryOf(told);
  });
}

/** A promotion, its sign-up from the role the contact held by event time. */
const promotedFrom = (event: ContactEvent, before: LiveRole | undefined): ContactEvent =>
  event.type === 'LeadSignedUp' && (before === 'visitor' || before === 'lead')
    ? { ...event, data: { ...event.data, fromRole: before } }
    : event;

/** An event that gave a role its contact held already: what else it did, if anything. */
function withoutPromotion(event: ContactEvent): ContactEvent | undefined {
  if (event.type === 'VisitorBecameLead') return undefined;
  if (event.type !== 'ContactUpdated') return event;
  const { role: _role, ...changes } = event.data.changes;
  return Object.keys(changes).length === 0
    ? undefined
    : { ...event, data: { ...event.data, changes } };
}

function describe(event: ContactEvent): string {
  switch (event.type) {
    case 'VisitorRegistered':
      return `Registered as a visitor (user_id ${event.data.userId})${seenFrom(event.data.context)}`;
    case 'ConversationStarted':
      return `Started a conversation${event.data.conversationId ? ` (${event.data.conversationId})` : ''}`;
    case 'OutboundReplied':
      return 'Replied to an outbound message';
    case 'VisitorBecameLead':
      return event.data.cause === 'conversation_started'
        ? 'Became a lead by starting a conversation'
        : 'Became a lead by replying to an outbound message';
    case 'LeadCreated':
      return `Created as a lead${withFields(event.data.attributes)}`;
    case 'UserCreated':
      return `Created as a user${withFields(event.data.attributes)}`;
    case 'LeadSignedUp':
      return `Signed up: the ${event.data.fromRole} became a user${withFields(event.data.identity)}${
        event.data.dropsEmail ? ', leaving its email (another user holds it)' : ''
      }`;
    case 'ContactLoggedIn':
      return `Logged in${withFields(event.data.identity)}`;
    case 'ContactUpdated': {
      const { role, ...changes } = event.data.changes;
      const changed = Object.keys(changes).length > 0 ? `Updated ${names(changes)}` : '';
      const became = role !== undefined ? `Became a ${role}` : '';
      return [became, changed].filter(Boolean).join('; ') || 'Updated';
    }
    case 'ContactSeen':
      return `Seen${seenFrom(event.data.context)}`;
    case 'ContactArchived':
      return 'Archived';
    case 'ContactUnarchived':
      return 'Unarchived';
    case 'ContactBlocked':
      return 'Blocked';
    case 'ContactMergedInto':
      return `Merged into ${event.data.into}${event.data.keepsExternalId ? ', keeping its external_id' : ''}`;
    case 'ContactMergeReverted':
      return `Merge into ${event.data.into} undone: ${event.data.into} was deleted before absorbing it`;
    case 'LeadMergeAbsorbed':
      return `Absorbed the ${event.data.sourceRole} ${event.data.from}${withFields(event.data.copied)}${
        event.data.blockedAt !== undefined ? `; blocked, as the ${event.data.sourceRole} was` : ''
      }`;
    case 'ContactDeleted':
      return 'Deleted';
    case 'DataEventTracked':
      return `Tracked "${event.data.name}"`;
    case 'DataEventSummaryReported':
      return `Reported "${event.data.name}" ${event.data.count} time${event.data.count === 1 ? '' : 's'}`;
  }
}

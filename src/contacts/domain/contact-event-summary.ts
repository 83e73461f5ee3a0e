import type { SeenContext } from './contact.attributes';
import type { ContactEvent } from './contact.events';

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

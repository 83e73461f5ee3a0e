import { summariesByEventTime, summaryOf } from './contact-event-summary';
import type { ContactEvent } from './contact.events';
import { becameLead, ids, signedUp, visitorRegistered } from './contact.test-fixtures';

describe('summaryOf', () => {
  it.each<[ContactEvent, string]>([
    [
      {
        type: 'VisitorRegistered',
        data: { ...ids, userId: 'v-1', registeredAt: 1, context: { browser: 'firefox' } },
      },
      'Registered as a visitor (user_id v-1) (firefox)',
    ],
    [
      { type: 'ConversationStarted', data: { ...ids, startedAt: 1, conversationId: 'c-9' } },
      'Started a conversation (c-9)',
    ],
    [
      { type: 'VisitorBecameLead', data: { ...ids, becameLeadAt: 1, cause: 'outbound_replied' } },
      'Became a lead by replying to an outbound message',
    ],
    [
      { type: 'UserCreated', data: { ...ids, createdAt: 1, attributes: { email: 'a@b.c' } } },
      'Created as a user with email',
    ],
    [
      {
        type: 'LeadSignedUp',
        data: { ...ids, fromRole: 'visitor', signedUpAt: 1, identity: { external_id: 'x' } },
      },
      'Signed up: the visitor became a user with external_id',
    ],
    [
      {
        type: 'LeadSignedUp',
        data: {
          ...ids,
          fromRole: 'lead',
          signedUpAt: 1,
          identity: { external_id: 'x' },
          dropsEmail: true,
        },
      },
      'Signed up: the lead became a user with external_id, leaving its email (another user holds it)',
    ],
    [
      {
        type: 'ContactUpdated',
        data: { ...ids, updatedAt: 1, changes: { role: 'user', name: 'N', phone: 'P' } },
      },
      'Became a user; Updated name, phone',
    ],
    [
      {
        type: 'ContactSeen',
        data: {
          ...ids,
          seenAt: 1,
          context: { location: { city: 'Dublin', country: 'Ireland', region: null } },
        },
      },
      'Seen (Dublin, Ireland)',
    ],
    [
      {
        type: 'LeadMergeAbsorbed',
        data: { ...ids, from: 'l-1', sourceRole: 'lead', mergedAt: 1, copied: { name: 'N' } },
      },
      'Absorbed the lead l-1 with name',
    ],
    [
      {
        type: 'ContactMergedInto',
        data: { ...ids, into: 'u-1', sourceRole: 'lead', mergedAt: 1, keepsExternalId: true },
      },
      'Merged into u-1, keeping its external_id',
    ],
    [
      {
        type: 'LeadMergeAbsorbed',
        data: { ...ids, from: 'l-1', sourceRole: 'lead', mergedAt: 1, copied: {}, blockedAt: 1 },
      },
      'Absorbed the lead l-1; blocked, as the lead was',
    ],
    [
      { type: 'DataEventTracked', data: { ...ids, name: 'paid', createdAt: 1, metadata: {} } },
      'Tracked "paid"',
    ],
    [
      {
        type: 'DataEventSummaryReported',
        data: { ...ids, name: 'paid', count: 3, first: 1, last: 2 },
      },
      'Reported "paid" 3 times',
    ],
    [
      {
        type: 'DataEventSummaryReported',
        data: { ...ids, name: 'paid', count: 1, first: 1, last: 1 },
      },
      'Reported "paid" 1 time',
    ],
  ])('%#: %j reads "%s"', (event, summary) => {
    expect(summaryOf(event)).toBe(summary);
  });

  it('is one line whatever the values it quotes hold: line breaks and control characters escaped', () => {
    expect(
      summaryOf({
        type: 'DataEventTracked',
        data: {
          ...ids,
          name: 'paid\nagain\r\n\u2028\u2029\u0085\t\u0000end',
          createdAt: 1,
          metadata: {},
        },
      }),
    ).toBe('Tracked "paid\\nagain\\r\\n\\u2028\\u2029\\u0085\\t\\u0000end"');
    expect(
      summaryOf({
        type: 'VisitorRegistered',
        data: { ...ids, userId: 'v\n1', registeredAt: 1, context: { browser: 'fire\u2028fox' } },
      }),
    ).toBe('Registered as a visitor (user_id v\\n1) (fire\\u2028fox)');
    expect(
      summaryOf({
        type: 'DataEventSummaryReported',
        data: { ...ids, name: 'a b, "é" 😀', count: 2, first: 1, last: 2 },
      }),
    ).toBe('Reported "a b, "é" 😀" 2 times');
  });
});

describe('summariesByEventTime', () => {
  const registered = visitorRegistered(100, 'v-1');
  const talked: ContactEvent = {
    type: 'ConversationStarted',
    data: { ...ids, startedAt: 200, conversationId: null },
  };

  it('says the visitor became a user, and no lead after, when its sign-up came before its conversion', () => {
    // Recorded as a lead's sign-up: it was reported after the conversation, dated before it.
    expect(
      summariesByEventTime([registered, signedUp(150, 'lead'), talked, becameLead(200)]),
    ).toEqual([
      'Registered as a visitor (user_id v-1)',
      'Signed up: the visitor became a user',
      'Started a conversation',
      undefined,
    ]);
  });

  it('says the lead became a user when a conversion reported late came before its sign-up', () => {
    expect(summariesByEventTime([registered, becameLead(120), signedUp(150, 'visitor')])).toEqual([
      'Registered as a visitor (user_id v-1)',
      'Became a lead by starting a conversation',
      'Signed up: the lead became a user',
    ]);
  });

  it('shows a visitor becoming a lead once, and an update converting a user only by its other changes', () => {
    const supplied = (at: number, changes: object): ContactEvent => ({
      type: 'ContactUpdated',
      data: { ...ids, updatedAt: at, changes: { role: 'lead', ...changes } },
    });
    expect(
      summariesByEventTime([
        registered,
        becameLead(120),
        becameLead(130),
        supplied(140, { email: 'a@b.c' }),
        signedUp(150, 'lead'),
        supplied(160, {}),
      ]),
    ).toEqual([
      'Registered as a visitor (user_id v-1)',
      'Became a lead by starting a conversation',
      undefined,
      'Updated email',
      'Signed up: the lead became a user',
      undefined,
    ]);
  });

  it("follows each contact's role apart: a merged lead's events are its own", () => {
    const lead = { contactId: 'l-1', workspaceId: 'ws' };
    expect(
      summariesByEventTime([
        registered,
        { type: 'LeadCreated', data: { ...lead, createdAt: 110, attributes: {} } },
        signedUp(120, 'visitor'),
        {
          type: 'LeadSignedUp',
          data: { ...lead, fromRole: 'lead', signedUpAt: 130, identity: {} },
        },
      ]),
    ).toEqual([
      'Registered as a visitor (user_id v-1)',
      'Created as a lead',
      'Signed up: the visitor became a user',
      'Signed up: the lead became a user',
    ]);
  });
});

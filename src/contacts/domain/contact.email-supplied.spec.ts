import type { AttributeChanges } from './contact.attributes';
import type { ContactCommand } from './contact.commands';
import type { ContactEvent } from './contact.events';
import type { LiveContact } from './contact.state';
import { T0, fold, given, ids, userCreated, visitorRegistered } from './contact.test-fixtures';

const now = T0 + 100;

/** A messenger `email.supplied` reaching a user, reported late or not. */
const supplied = (
  at: number,
  email: string,
  more: { readonly mergedFrom?: string; readonly name?: string } = {},
): ContactCommand => ({
  type: 'UpdateContact',
  data: {
    ...ids,
    occurredAt: at,
    attributes: { email, ...(more.name !== undefined ? { name: more.name } : {}) },
    supplied: more.mergedFrom !== undefined ? { mergedFrom: more.mergedFrom } : {},
  },
  now,
});

const signedUp = (
  at: number,
  identity: { email?: string; external_id?: string },
): ContactEvent => ({
  type: 'LeadSignedUp',
  data: { ...ids, fromRole: 'visitor', signedUpAt: at, identity },
});

const absorbed = (from: string, at: number): ContactEvent => ({
  type: 'LeadMergeAbsorbed',
  data: { ...ids, from, sourceRole: 'visitor', mergedAt: at, copied: {} },
});

/** The write at T0 + 20 of an email the visitor or lead the user was supplied then. */
const emailOfLead = (changes: AttributeChanges & { readonly role?: 'lead' }): ContactEvent => ({
  type: 'ContactUpdated',
  data: { ...ids, updatedAt: T0 + 20, changes, emailOfLeadItWas: true },
});

/** The contact as its events up to `at` (event time) made it, folded in the log's order. */
const asOf = (events: readonly ContactEvent[], at: number) =>
  fold(events.filter((event) => eventTimeOf(event) <= at)) as LiveContact;

/** The event time of the events these specs fold. */
const eventTimeOf = (event: ContactEvent): number => {
  const data: Readonly<Record<string, unknown>> = { ...event.data };
  const at = ['registeredAt', 'signedUpAt', 'updatedAt', 'createdAt', 'mergedAt']
    .map((key) => data[key])
    .find((value) => typeof value === 'number');
  if (typeof at !== 'number') throw new Error(`no event time for ${event.type} in these specs`);
  return at;
};

/**
 * README, `POST /messenger/events`: an email supplied makes a visitor a lead, one reported late
 * included; a typed address never decides who a user is (domain.md, Merge: the target's values
 * win). An email typed in before the contact became a user, reported after, is the lead's.
 */
describe('an email supplied, reaching a user', () => {
  describe('typed in by the visitor before it signed up, reported after the sign-up', () => {
    const history = [visitorRegistered(T0), signedUp(T0 + 50, { email: 'u@x.com' })];

    it("leaves the user's email, and makes the visitor a lead from the time it typed it", () => {
      const expected = emailOfLead({ role: 'lead', email: 'typed@x.com' });
      given(history)
        .when(supplied(T0 + 20, 'typed@x.com'))
        .then([expected]);
      const events = [...history, expected];
      expect(fold(events)).toMatchObject({
        status: 'user',
        email: 'u@x.com',
        visitorUntil: T0 + 20,
      });
      // As in event-time order: a lead with the typed address, then the user with its own.
      expect(asOf(events, T0 + 20)).toMatchObject({ status: 'lead', email: 'typed@x.com' });
      expect(asOf(events, T0 + 50)).toMatchObject({ status: 'user', email: 'u@x.com' });
    });

    it('keeps the conversion alone when the visitor had become a lead before it typed it', () => {
      const talked: ContactEvent[] = [
        {
          type: 'ConversationStarted',
          data: { ...ids, startedAt: T0 + 10, conversationId: null },
        },
        {
          type: 'VisitorBecameLead',
          data: { ...ids, becameLeadAt: T0 + 10, cause: 'conversation_started' },
        },
      ];
      given([visitorRegistered(T0), ...talked, signedUp(T0 + 50, { email: 'u@x.com' })])
        .when(supplied(T0 + 20, 'typed@x.com'))
        .then([emailOfLead({ email: 'typed@x.com' })]);
    });

    it('gives a user that signed up without an email the typed one, as the sign-up would have', () => {
      const withoutEmail = [visitorRegistered(T0), signedUp(T0 + 50, { external_id: 'e-1' })];
      const expected = emailOfLead({ role: 'lead', email: 'typed@x.com' });
      given(withoutEmail)
        .when(supplied(T0 + 20, 'typed@x.com'))
        .then([expected]);
      expect(fold([...withoutEmail, expected])).toMatchObject({
        status: 'user',
        email: 'typed@x.com',
      });
    });

    it("writes the item's other attributes as any late write", () => {
      given(history)
        .when(supplied(T0 + 20, 'typed@x.com', { name: 'Ada' }))
        .then([emailOfLead({ role: 'lead', name: 'Ada', email: 'typed@x.com' })]);
    });
  });

  describe('typed in by a visitor before it was merged into the user, reported after', () => {
    const history = [
      userCreated({ email: 'real@x.com', external_id: 'ext-1' }, T0 - 100),
      absorbed('visitor-7', T0 + 50),
    ];

    it('records no email for the user, which keeps its own', () => {
      given(history)
        .when(supplied(T0 + 20, 'typo@x.com', { mergedFrom: 'visitor-7' }))
        .thenNothing();
    });

    it('fills the email of a user without one, as the merge would have', () => {
      const withoutEmail = [
        userCreated({ external_id: 'ext-1' }, T0 - 100),
        absorbed('visitor-7', T0 + 50),
      ];
      const expected = emailOfLead({ email: 'typo@x.com' });
      given(withoutEmail)
        .when(supplied(T0 + 20, 'typo@x.com', { mergedFrom: 'visitor-7' }))
        .then([expected]);
      expect(fold([...withoutEmail, expected])).toMatchObject({ email: 'typo@x.com' });
    });

    it("changes the user's email when the visitor typed it in after the merge", () => {
      given(history)
        .when(supplied(T0 + 60, 'new@x.com', { mergedFrom: 'visitor-7' }))
        .then([
          {
            type: 'ContactUpdated',
            data: {
              ...ids,
              updatedAt: T0 + 60,
              changes: { email: 'new@x.com' },
            },
          },
        ]);
    });
  });

  it('changes the email of a contact that was a user when it supplied it, as before', () => {
    given([visitorRegistered(T0), signedUp(T0 + 10, { email: 'u@x.com' })])
      .when(supplied(T0 + 20, 'new@x.com'))
      .then([
        {
          type: 'ContactUpdated',
          data: {
            ...ids,
            updatedAt: T0 + 20,
            changes: { email: 'new@x.com' },
          },
        },
      ]);
  });
});

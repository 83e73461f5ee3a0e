import type { AttributeChanges } from './contact.attributes';
import { summaryOf } from './contact-event-summary';
import type { ContactEvent } from './contact.events';
import { EmailVerifiedWithoutEmail } from './contact.errors';
import type { ContactState } from './contact.state';
import {
  T0,
  fold,
  given,
  ids,
  leadCreated,
  userCreated,
  visitorRegistered,
} from './contact.test-fixtures';

const now = T0 + 100;

const update = (attributes: AttributeChanges) =>
  ({ type: 'UpdateContact', data: { ...ids, attributes }, now }) as const;

const updated = (changes: AttributeChanges, at = now): ContactEvent => ({
  type: 'ContactUpdated',
  data: { ...ids, updatedAt: at, changes },
});

const verifiedUser = userCreated({ email: 'ada@example.com', email_verified: true });

const verificationOf = (state: ContactState): boolean | null | undefined =>
  state.status === 'visitor' || state.status === 'lead' || state.status === 'user'
    ? state.email_verified
    : undefined;

describe("a contact's email verification (Intercom 2.16's email_verified)", () => {
  describe('CreateContact', () => {
    it('records it with the email it is about, true or false', () => {
      for (const verified of [true, false]) {
        given([])
          .when({
            type: 'CreateContact',
            data: { ...ids, attributes: { email: 'ada@example.com', email_verified: verified } },
            now,
          })
          .then([
            {
              type: 'UserCreated',
              data: {
                ...ids,
                createdAt: now,
                attributes: { email: 'ada@example.com', email_verified: verified },
              },
            },
          ]);
      }
    });

    it('leaves out a null one, as any null on creation: nothing is known yet', () => {
      given([])
        .when({
          type: 'CreateContact',
          data: {
            ...ids,
            role: 'lead',
            attributes: { email: 'ada@example.com', email_verified: null },
          },
          now,
        })
        .then([
          {
            type: 'LeadCreated',
            data: { ...ids, createdAt: now, attributes: { email: 'ada@example.com' } },
          },
        ]);
    });

    it.each<[string, AttributeChanges]>([
      ['no email', { external_id: 'ext-1', email_verified: true }],
      ['no email, nor anything else', { email_verified: false }],
      ['a null email', { email: null, email_verified: null }],
    ])('refuses it with %s, naming it', (_label, attributes) => {
      given([])
        .when({ type: 'CreateContact', data: { ...ids, role: 'lead', attributes }, now })
        .thenThrows(EmailVerifiedWithoutEmail, {
          code: 'parameter_invalid',
          field: 'email_verified',
          message: 'email_verified must be supplied together with an email in the same request',
        });
    });
  });

  describe('UpdateContact', () => {
    it('records a change of it for the email the contact holds, sent again', () => {
      given([verifiedUser])
        .when(update({ email: 'ada@example.com', email_verified: false }))
        .then([updated({ email_verified: false })]);
      given([verifiedUser])
        .when(update({ email: 'ada@example.com', email_verified: null }))
        .then([updated({ email_verified: null })]);
    });

    it('records nothing for the email and the flag the contact holds, sent again', () => {
      given([verifiedUser])
        .when(update({ email: 'ada@example.com', email_verified: true }))
        .thenNothing();
      given([verifiedUser])
        .when(update({ email: 'ada@example.com' }))
        .thenNothing();
    });

    it('keeps it for the same address in another case, as identities compare emails', () => {
      given([verifiedUser])
        .when(update({ email: 'Ada@Example.com' }))
        .then([updated({ email: 'Ada@Example.com' })]);
      expect(verificationOf(fold([verifiedUser, updated({ email: 'Ada@Example.com' })]))).toBe(
        true,
      );
    });

    it('resets it for another email sent without one, recording the reset', () => {
      given([verifiedUser])
        .when(update({ email: 'grace@example.com' }))
        .then([updated({ email: 'grace@example.com', email_verified: null })]);
    });

    it('records the verification of another email, even one the email before had too', () => {
      given([verifiedUser])
        .when(update({ email: 'grace@example.com', email_verified: true }))
        .then([updated({ email: 'grace@example.com', email_verified: true })]);
      given([verifiedUser])
        .when(update({ email: 'grace@example.com', email_verified: false }))
        .then([updated({ email: 'grace@example.com', email_verified: false })]);
    });

    it('records no flag for another email when neither address was verified', () => {
      given([userCreated({ email: 'ada@example.com' })])
        .when(update({ email: 'grace@example.com' }))
        .then([updated({ email: 'grace@example.com' })]);
      given([userCreated({ email: 'ada@example.com' })])
        .when(update({ email: 'grace@example.com', email_verified: null }))
        .then([updated({ email: 'grace@example.com' })]);
    });

    it.each<[string, AttributeChanges]>([
      ['no email', { name: 'Ada', email_verified: true }],
      ['a null email', { email: null, email_verified: false }],
      ['no email, a null flag', { email_verified: null }],
    ])('refuses it with %s, naming it', (_label, attributes) => {
      given([verifiedUser])
        .when(update(attributes))
        .thenThrows(EmailVerifiedWithoutEmail, { field: 'email_verified' });
    });
  });

  describe('the fold', () => {
    it('holds what the write said of the email it gave', () => {
      expect(verificationOf(fold([verifiedUser]))).toBe(true);
      expect(
        verificationOf(fold([leadCreated({ email: 'ada@example.com', email_verified: false })])),
      ).toBe(false);
      expect(verificationOf(fold([verifiedUser, updated({ email_verified: false })]))).toBe(false);
    });

    it('knows nothing of contacts whose events never said: those recorded before included', () => {
      expect(verificationOf(fold([userCreated()]))).toBeNull();
      expect(verificationOf(fold([visitorRegistered()]))).toBeNull();
      expect(
        verificationOf(fold([userCreated(), updated({ email: 'grace@example.com', name: 'G' })])),
      ).toBeNull();
    });

    it('resets it when an event gives another email without one, whatever the event', () => {
      expect(verificationOf(fold([verifiedUser, updated({ email: 'grace@example.com' })]))).toBe(
        null,
      );
      expect(verificationOf(fold([verifiedUser, updated({ email: null })]))).toBeNull();
      const verifiedLead = leadCreated({ email: 'ada@example.com', email_verified: true });
      const signedUp = (email: string): ContactEvent => ({
        type: 'LeadSignedUp',
        data: { ...ids, fromRole: 'lead', signedUpAt: now, identity: { email } },
      });
      expect(verificationOf(fold([verifiedLead, signedUp('grace@example.com')]))).toBeNull();
      expect(verificationOf(fold([verifiedLead, signedUp('ada@example.com')]))).toBe(true);
    });

    it('keeps it through writes of other fields, late ones included', () => {
      expect(verificationOf(fold([verifiedUser, updated({ name: 'Ada' }, T0 - 50)]))).toBe(true);
    });
  });

  it('is named in the timeline where the write that recorded it is', () => {
    expect(summaryOf(verifiedUser)).toBe('Created as a user with email, email_verified');
    expect(summaryOf(updated({ email: 'grace@example.com', email_verified: null }))).toBe(
      'Updated email, email_verified',
    );
  });
});

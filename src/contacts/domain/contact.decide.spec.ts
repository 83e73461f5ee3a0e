import type { AttributeChanges, SeenContext } from './contact.attributes';
import type { ContactCommand } from './contact.commands';
import { decide } from './contact.decide';
import type { ContactEvent } from './contact.events';
import {
  ContactAlreadyExists,
  ContactIsBlocked,
  ContactMerged,
  ContactNotFound,
  EventTimeInFuture,
  SummaryEndsBeforeItStarts,
  IdentityMismatch,
  InvalidRoleChange,
  MissingIdentity,
  VisitorNotArchivable,
} from './contact.errors';
import {
  T0,
  deleted,
  fold,
  given,
  ids,
  leadCreated,
  mergedInto,
  userCreated,
  visitorRegistered,
} from './contact.test-fixtures';

const now = T0 + 100;

describe('contact decider', () => {
  describe('RegisterVisitor', () => {
    it('registers an anonymous visitor at its event time with its context', () => {
      given([])
        .when({
          type: 'RegisterVisitor',
          data: { ...ids, userId: 'anon-7', occurredAt: T0, context: { browser: 'Firefox' } },
          now,
        })
        .then([
          {
            type: 'VisitorRegistered',
            data: { ...ids, userId: 'anon-7', registeredAt: T0, context: { browser: 'Firefox' } },
          },
        ]);
    });

    it('uses the contact id as the anonymous id when the messenger gave none', () => {
      given([])
        .when({ type: 'RegisterVisitor', data: ids, now })
        .then([
          {
            type: 'VisitorRegistered',
            data: { ...ids, userId: ids.contactId, registeredAt: now, context: {} },
          },
        ]);
    });

    it('records nothing when the same visitor is registered again', () => {
      given([visitorRegistered(T0, 'anon-1')])
        .when({ type: 'RegisterVisitor', data: { ...ids, userId: 'anon-1' }, now })
        .thenNothing();
    });

    it('refuses an id that already holds another contact', () => {
      given([leadCreated()])
        .when({ type: 'RegisterVisitor', data: ids, now })
        .thenThrows(ContactAlreadyExists, { code: 'conflict' });
    });
  });

  describe('StartConversation', () => {
    it('turns a visitor into a lead', () => {
      given([visitorRegistered()])
        .when({
          type: 'StartConversation',
          data: { ...ids, conversationId: 'conv-1', occurredAt: T0 + 5 },
          now,
        })
        .then([
          {
            type: 'ConversationStarted',
            data: { ...ids, startedAt: T0 + 5, conversationId: 'conv-1' },
          },
          {
            type: 'VisitorBecameLead',
            data: { ...ids, becameLeadAt: T0 + 5, cause: 'conversation_started' },
          },
        ]);
    });

    describe('reported late, from before the visitor became a lead or user', () => {
      const talkedAt = (at: number, cause: 'conversation_started' | 'outbound_replied') => [
        cause === 'conversation_started'
          ? ({
              type: 'ConversationStarted',
              data: { ...ids, startedAt: at, conversationId: null },
            } as const)
          : ({
              type: 'OutboundReplied',
              data: { ...ids, repliedAt: at, conversationId: null, outboundSentAt: null },
            } as const),
        { type: 'VisitorBecameLead', data: { ...ids, becameLeadAt: at, cause } } as const,
      ];
      const start = (at: number): ContactCommand => ({
        type: 'StartConversation',
        data: { ...ids, occurredAt: at },
        now,
      });

      it('makes the visitor a lead from its time', () => {
        given([visitorRegistered(T0), ...talkedAt(T0 + 50, 'conversation_started')])
          .when(start(T0 + 20))
          .then(talkedAt(T0 + 20, 'conversation_started'));
        given([visitorRegistered(T0), ...talkedAt(T0 + 50, 'conversation_started')])
          .when({ type: 'ReplyToOutbound', data: { ...ids, occurredAt: T0 + 20 }, now })
          .then(talkedAt(T0 + 20, 'outbound_replied'));
      });

      it('makes a visitor that signed up or gave its email later a lead from its time', () => {
        const signedUp: ContactEvent = {
          type: 'LeadSignedUp',
          data: { ...ids, fromRole: 'visitor', signedUpAt: T0 + 50, identity: { email: 'a@b.c' } },
        };
        const gaveEmail: ContactEvent = {
          type: 'ContactUpdated',
          data: { ...ids, updatedAt: T0 + 50, changes: { role: 'lead', email: 'a@b.c' } },
        };
        for (const converted of [signedUp, gaveEmail]) {
          given([visitorRegistered(T0), converted])
            .when(start(T0 + 20))
            .then(talkedAt(T0 + 20, 'conversation_started'));
        }
      });

      it('makes a visitor that supplies its email, reported late, a lead from its time', () => {
        const supplyEmail = (at: number): ContactCommand => ({
          type: 'UpdateContact',
          data: { ...ids, role: 'lead', attributes: { email: 'a@b.c' }, occurredAt: at },
          now,
        });
        given([visitorRegistered(T0), ...talkedAt(T0 + 50, 'conversation_started')])
          .when(supplyEmail(T0 + 20))
          .then([
            {
              type: 'ContactUpdated',
              data: { ...ids, updatedAt: T0 + 20, changes: { role: 'lead', email: 'a@b.c' } },
            },
          ]);
        // Supplied once it was a lead already: the email alone.
        given([visitorRegistered(T0), ...talkedAt(T0 + 50, 'conversation_started')])
          .when(supplyEmail(T0 + 60))
          .then([
            {
              type: 'ContactUpdated',
              data: { ...ids, updatedAt: T0 + 60, changes: { email: 'a@b.c' } },
            },
          ]);
      });

      it('records the conversation alone once it was a lead by then', () => {
        given([
          visitorRegistered(T0),
          ...talkedAt(T0 + 50, 'conversation_started'),
          ...talkedAt(T0 + 20, 'conversation_started'),
        ])
          .when(start(T0 + 30))
          .then([
            {
              type: 'ConversationStarted',
              data: { ...ids, startedAt: T0 + 30, conversationId: null },
            },
          ]);
      });

      describe('from before the contact was registered', () => {
        const conversation = (at: number) => talkedAt(at, 'conversation_started')[0]!;
        const reply = (at: number) => talkedAt(at, 'outbound_replied')[0]!;
        const replyToOutbound = (at: number): ContactCommand => ({
          type: 'ReplyToOutbound',
          data: { ...ids, occurredAt: at },
          now,
        });

        it('records it alone for a contact that became a lead when it was registered', () => {
          // Registered and a lead at T0 by a conversation: there was no such contact at T0 - 50.
          given([visitorRegistered(T0), ...talkedAt(T0, 'conversation_started')])
            .when(replyToOutbound(T0 - 50))
            .then([reply(T0 - 50)]);
          given([visitorRegistered(T0), ...talkedAt(T0, 'outbound_replied')])
            .when(start(T0 - 50))
            .then([conversation(T0 - 50)]);
        });

        it('makes a visitor a lead from its registration, not before', () => {
          given([visitorRegistered(T0)])
            .when(start(T0 - 50))
            .then([conversation(T0 - 50), talkedAt(T0, 'conversation_started')[1]!]);
          given([visitorRegistered(T0)])
            .when(replyToOutbound(T0 - 50))
            .then([reply(T0 - 50), talkedAt(T0, 'outbound_replied')[1]!]);
        });

        it('makes a visitor that became a lead or user after its registration a lead from its registration', () => {
          const signedUp: ContactEvent = {
            type: 'LeadSignedUp',
            data: {
              ...ids,
              fromRole: 'visitor',
              signedUpAt: T0 + 50,
              identity: { email: 'a@b.c' },
            },
          };
          for (const converted of [signedUp, ...talkedAt(T0 + 50, 'conversation_started')]) {
            given([visitorRegistered(T0), converted])
              .when(start(T0 - 50))
              .then([conversation(T0 - 50), talkedAt(T0, 'conversation_started')[1]!]);
          }
        });

        it('records an email supplied from before the registration at its time, and the conversion at the registration', () => {
          const supplyEmail: ContactCommand = {
            type: 'UpdateContact',
            data: { ...ids, role: 'lead', attributes: { email: 'a@b.c' }, occurredAt: T0 - 50 },
            now,
          };
          const emailAt = (at: number): ContactEvent => ({
            type: 'ContactUpdated',
            data: { ...ids, updatedAt: at, changes: { email: 'a@b.c' } },
          });
          given([visitorRegistered(T0)])
            .when(supplyEmail)
            .then([
              emailAt(T0 - 50),
              {
                type: 'ContactUpdated',
                data: { ...ids, updatedAt: T0, changes: { role: 'lead' } },
              },
            ]);
          // A lead since its registration already: the email alone.
          given([visitorRegistered(T0), ...talkedAt(T0, 'conversation_started')])
            .when(supplyEmail)
            .then([emailAt(T0 - 50)]);
          // A visitor until after its registration: a lead from its registration.
          given([visitorRegistered(T0), ...talkedAt(T0 + 50, 'conversation_started')])
            .when(supplyEmail)
            .then([
              emailAt(T0 - 50),
              {
                type: 'ContactUpdated',
                data: { ...ids, updatedAt: T0, changes: { role: 'lead' } },
              },
            ]);
        });

        it('still moves the conversion back to a time the contact was registered by', () => {
          given([visitorRegistered(T0 - 100), ...talkedAt(T0, 'conversation_started')])
            .when(replyToOutbound(T0 - 50))
            .then(talkedAt(T0 - 50, 'outbound_replied'));
        });
      });
    });

    it('only records the conversation for a lead', () => {
      given([leadCreated()])
        .when({ type: 'StartConversation', data: ids, now })
        .then([
          { type: 'ConversationStarted', data: { ...ids, startedAt: now, conversationId: null } },
        ]);
    });

    it('refuses an unknown contact', () => {
      given([])
        .when({ type: 'StartConversation', data: ids, now })
        .thenThrows(ContactNotFound, { code: 'not_found', contactId: ids.contactId });
    });

    it('refuses a deleted contact as not found', () => {
      given([leadCreated(), deleted()])
        .when({ type: 'StartConversation', data: ids, now })
        .thenThrows(ContactNotFound, { code: 'not_found' });
    });

    it('refuses a merged contact, naming the contact it lives on as', () => {
      given([leadCreated(), mergedInto('user-9')])
        .when({ type: 'StartConversation', data: ids, now })
        .thenThrows(ContactMerged, { code: 'contact_merged', into: 'user-9' });
    });

    it('takes a start up to five minutes ahead of the clock as happening now, and refuses one further ahead', () => {
      given([leadCreated()])
        .when({ type: 'StartConversation', data: { ...ids, occurredAt: now + 300 }, now })
        .then([
          {
            type: 'ConversationStarted',
            data: { ...ids, startedAt: now, conversationId: null },
          },
        ]);
      given([leadCreated()])
        .when({ type: 'StartConversation', data: { ...ids, occurredAt: now + 301 }, now })
        .thenThrows(EventTimeInFuture, { code: 'parameter_invalid', field: 'created_at' });
    });
  });

  describe('ReplyToOutbound', () => {
    it('turns a visitor into a lead', () => {
      given([visitorRegistered()])
        .when({ type: 'ReplyToOutbound', data: ids, now })
        .then([
          {
            type: 'OutboundReplied',
            data: { ...ids, repliedAt: now, conversationId: null, outboundSentAt: null },
          },
          {
            type: 'VisitorBecameLead',
            data: { ...ids, becameLeadAt: now, cause: 'outbound_replied' },
          },
        ]);
    });

    it('records when the outbound was sent for a user', () => {
      given([userCreated()])
        .when({
          type: 'ReplyToOutbound',
          data: { ...ids, conversationId: 'conv-2', outboundSentAt: T0 + 1 },
          now,
        })
        .then([
          {
            type: 'OutboundReplied',
            data: { ...ids, repliedAt: now, conversationId: 'conv-2', outboundSentAt: T0 + 1 },
          },
        ]);
    });

    it('refuses a merged contact', () => {
      given([leadCreated(), mergedInto('user-9')])
        .when({ type: 'ReplyToOutbound', data: ids, now })
        .thenThrows(ContactMerged, { into: 'user-9' });
    });
  });

  describe('CreateContact', () => {
    it('creates a lead with the given fields, leaving out nulls', () => {
      given([])
        .when({
          type: 'CreateContact',
          data: {
            ...ids,
            role: 'lead',
            attributes: {
              email: 'lead@example.com',
              name: null,
              custom_attributes: { plan: 'pro', x: null },
            },
          },
          now,
        })
        .then([
          {
            type: 'LeadCreated',
            data: {
              ...ids,
              createdAt: now,
              attributes: { email: 'lead@example.com', custom_attributes: { plan: 'pro' } },
            },
          },
        ]);
    });

    it('creates a user when no role is given', () => {
      given([])
        .when({
          type: 'CreateContact',
          data: { ...ids, attributes: { external_id: 'ext-1' } },
          now,
        })
        .then([
          {
            type: 'UserCreated',
            data: { ...ids, createdAt: now, attributes: { external_id: 'ext-1' } },
          },
        ]);
    });

    it('accepts a role alone as the identity', () => {
      given([])
        .when({
          type: 'CreateContact',
          data: { ...ids, role: 'user', attributes: { name: 'Ada' } },
          now,
        })
        .then([
          { type: 'UserCreated', data: { ...ids, createdAt: now, attributes: { name: 'Ada' } } },
        ]);
    });

    it('refuses a contact without email, external_id or role', () => {
      given([])
        .when({ type: 'CreateContact', data: { ...ids, attributes: { name: 'Ada' } }, now })
        .thenThrows(MissingIdentity, {
          code: 'parameter_not_found',
          expected: ['email', 'external_id', 'role'],
        });
    });

    it('refuses an id that is taken', () => {
      given([userCreated()])
        .when({ type: 'CreateContact', data: { ...ids, role: 'lead', attributes: {} }, now })
        .thenThrows(ContactAlreadyExists, { code: 'conflict', contactId: ids.contactId });
    });

    it('refuses a last_seen_at more than five minutes ahead of the clock, which would hold every later sighting back', () => {
      const create = (lastSeenAt: number) =>
        given([]).when({
          type: 'CreateContact',
          data: { ...ids, role: 'user', attributes: { last_seen_at: lastSeenAt } },
          now,
        });
      create(now + 301).thenThrows(EventTimeInFuture, {
        code: 'parameter_invalid',
        field: 'last_seen_at',
      });
      create(now + 300).then([
        {
          type: 'UserCreated',
          data: { ...ids, createdAt: now, attributes: { last_seen_at: now + 300 } },
        },
      ]);
      given([userCreated()])
        .when({
          type: 'UpdateContact',
          data: { ...ids, attributes: { last_seen_at: now + 301 } },
          now,
        })
        .thenThrows(EventTimeInFuture, { field: 'last_seen_at' });
    });
  });

  describe('SignUp', () => {
    it('makes a lead a user with the identity it gives, signed up at the event time', () => {
      given([leadCreated({ email: 'lead@example.com' })])
        .when({
          type: 'SignUp',
          data: { ...ids, external_id: 'ext-1', email: 'lead@example.com', occurredAt: T0 + 3 },
          now,
        })
        .then([
          {
            type: 'LeadSignedUp',
            data: {
              ...ids,
              fromRole: 'lead',
              signedUpAt: T0 + 3,
              identity: { external_id: 'ext-1' },
            },
          },
        ]);
    });

    it('keeps an explicit sign-up time', () => {
      given([visitorRegistered()])
        .when({ type: 'SignUp', data: { ...ids, email: 'v@example.com', signedUpAt: T0 + 1 }, now })
        .then([
          {
            type: 'LeadSignedUp',
            data: {
              ...ids,
              fromRole: 'visitor',
              signedUpAt: T0 + 1,
              identity: { email: 'v@example.com' },
            },
          },
        ]);
    });

    it('counts as a log-in for a user with the same identity', () => {
      given([userCreated()])
        .when({ type: 'SignUp', data: { ...ids, external_id: 'ext-1' }, now })
        .then([{ type: 'ContactLoggedIn', data: { ...ids, loggedInAt: now, identity: {} } }]);
    });

    it('moves signed_up_at back for a sign-up older than the log-in that made the user', () => {
      const signedUpByLogIn: ContactEvent = {
        type: 'LeadSignedUp',
        data: {
          ...ids,
          fromRole: 'visitor',
          signedUpAt: T0 + 90,
          identity: { external_id: 'ext-1' },
        },
      };
      given([visitorRegistered(), signedUpByLogIn])
        .when({ type: 'SignUp', data: { ...ids, external_id: 'ext-1', occurredAt: T0 + 40 }, now })
        .then([
          { type: 'ContactLoggedIn', data: { ...ids, loggedInAt: T0 + 40, identity: {} } },
          {
            type: 'ContactUpdated',
            data: { ...ids, updatedAt: T0 + 40, changes: { signed_up_at: T0 + 40 } },
          },
        ]);
      given([visitorRegistered(), signedUpByLogIn])
        .when({ type: 'SignUp', data: { ...ids, external_id: 'ext-1', occurredAt: T0 + 95 }, now })
        .then([{ type: 'ContactLoggedIn', data: { ...ids, loggedInAt: T0 + 95, identity: {} } }]);
    });

    it('makes a lead a user without its email when it is to leave it (another user holds it)', () => {
      given([leadCreated({ email: 'lead@example.com' })])
        .when({
          type: 'SignUp',
          data: { ...ids, external_id: 'ext-1', dropEmail: true, occurredAt: T0 + 3 },
          now,
        })
        .then([
          {
            type: 'LeadSignedUp',
            data: {
              ...ids,
              fromRole: 'lead',
              signedUpAt: T0 + 3,
              identity: { external_id: 'ext-1' },
              dropsEmail: true,
            },
          },
        ]);
    });

    it('drops no email that a lead lacks, or that the sign-up gives', () => {
      const signedUp = (identity: { external_id?: string; email?: string }): ContactEvent => ({
        type: 'LeadSignedUp',
        data: { ...ids, fromRole: 'lead', signedUpAt: now, identity },
      });
      given([leadCreated()])
        .when({ type: 'SignUp', data: { ...ids, external_id: 'ext-1', dropEmail: true }, now })
        .then([signedUp({ external_id: 'ext-1' })]);
      given([leadCreated({ email: 'lead@example.com' })])
        .when({
          type: 'SignUp',
          data: { ...ids, email: 'given@example.com', dropEmail: true },
          now,
        })
        .then([signedUp({ email: 'given@example.com' })]);
    });

    it("leaves a user's own email with it", () => {
      given([userCreated()])
        .when({ type: 'SignUp', data: { ...ids, external_id: 'ext-1', dropEmail: true }, now })
        .then([{ type: 'ContactLoggedIn', data: { ...ids, loggedInAt: now, identity: {} } }]);
    });

    it('refuses a user naming another external_id', () => {
      given([userCreated()])
        .when({ type: 'SignUp', data: { ...ids, external_id: 'ext-2' }, now })
        .thenThrows(IdentityMismatch, { code: 'conflict', field: 'external_id' });
    });

    it('refuses a sign-up without external_id or email', () => {
      given([leadCreated()])
        .when({ type: 'SignUp', data: ids, now })
        .thenThrows(MissingIdentity, { expected: ['external_id', 'email'] });
    });

    it('refuses a merged contact', () => {
      given([leadCreated(), mergedInto('user-9')])
        .when({ type: 'SignUp', data: { ...ids, external_id: 'ext-1' }, now })
        .thenThrows(ContactMerged, { into: 'user-9' });
    });
  });

  describe('LogIn', () => {
    it('makes a visitor a user and logs it in', () => {
      given([visitorRegistered()])
        .when({ type: 'LogIn', data: { ...ids, external_id: 'ext-5' }, now })
        .then([
          {
            type: 'LeadSignedUp',
            data: {
              ...ids,
              fromRole: 'visitor',
              signedUpAt: now,
              identity: { external_id: 'ext-5' },
            },
          },
          { type: 'ContactLoggedIn', data: { ...ids, loggedInAt: now, identity: {} } },
        ]);
    });

    it('makes a lead a user without its email when it is to leave it, and logs it in', () => {
      given([leadCreated({ email: 'lead@example.com' })])
        .when({ type: 'LogIn', data: { ...ids, external_id: 'ext-5', dropEmail: true }, now })
        .then([
          {
            type: 'LeadSignedUp',
            data: {
              ...ids,
              fromRole: 'lead',
              signedUpAt: now,
              identity: { external_id: 'ext-5' },
              dropsEmail: true,
            },
          },
          { type: 'ContactLoggedIn', data: { ...ids, loggedInAt: now, identity: {} } },
        ]);
    });

    it('gives a user the email it lacked', () => {
      given([userCreated({ external_id: 'ext-1' })])
        .when({
          type: 'LogIn',
          data: { ...ids, external_id: 'ext-1', email: 'ada@example.com' },
          now,
        })
        .then([
          {
            type: 'ContactLoggedIn',
            data: { ...ids, loggedInAt: now, identity: { email: 'ada@example.com' } },
          },
        ]);
    });

    it('refuses a user naming another email', () => {
      given([userCreated()])
        .when({ type: 'LogIn', data: { ...ids, email: 'other@example.com' }, now })
        .thenThrows(IdentityMismatch, { code: 'conflict', field: 'email' });
    });

    it('refuses an unknown contact', () => {
      given([])
        .when({ type: 'LogIn', data: { ...ids, email: 'a@example.com' }, now })
        .thenThrows(ContactNotFound);
    });
  });

  describe('UpdateContact', () => {
    const user = userCreated({
      email: 'ada@example.com',
      name: 'Ada',
      location: { country: 'Ireland', region: null, city: 'Dublin' },
      custom_attributes: { plan: 'pro', seats: 3 },
    });

    it('dates a write ahead of the clock at the clock, so that it shadows no later write', () => {
      given([user])
        .when({
          type: 'UpdateContact',
          data: { ...ids, attributes: { name: 'Ahead' }, occurredAt: now + 200 },
          now,
        })
        .then([
          {
            type: 'ContactUpdated',
            data: { ...ids, updatedAt: now, changes: { name: 'Ahead' } },
          },
        ]);
    });

    it('records only the fields that changed, and which fields it wrote again', () => {
      given([user])
        .when({
          type: 'UpdateContact',
          data: {
            ...ids,
            attributes: {
              email: 'ada@example.com',
              name: 'Ada L.',
              phone: '+353',
              location: { country: 'Ireland', region: null, city: 'Dublin' },
              custom_attributes: { plan: 'pro', seats: 4 },
            },
          },
          now,
        })
        .then([
          {
            type: 'ContactUpdated',
            data: {
              ...ids,
              updatedAt: now,
              changes: { name: 'Ada L.', phone: '+353', custom_attributes: { seats: 4 } },
              reaffirmed: ['location', 'custom_attributes.plan'],
            },
          },
        ]);
    });

    it('takes a flag cleared (null) while false as no change: a cleared flag is false', () => {
      // The API takes null as "clear" for a flag, which the types do not spell.
      const cleared = (flag: 'unsubscribed_from_emails' | 'has_hard_bounced') =>
        ({ [flag]: null }) as unknown as AttributeChanges;
      const clear = (flag: 'unsubscribed_from_emails' | 'has_hard_bounced') => ({
        type: 'UpdateContact' as const,
        data: { ...ids, attributes: cleared(flag), occurredAt: T0 + 10 },
        now,
      });
      given([user])
        .when(clear('unsubscribed_from_emails'))
        .then([
          {
            type: 'ContactUpdated',
            data: {
              ...ids,
              updatedAt: T0 + 10,
              changes: {},
              reaffirmed: ['unsubscribed_from_emails'],
            },
          },
        ]);
      const bounced: ContactEvent = {
        type: 'ContactUpdated',
        data: { ...ids, updatedAt: T0 + 5, changes: { has_hard_bounced: true } },
      };
      given([user, bounced])
        .when(clear('has_hard_bounced'))
        .then([
          {
            type: 'ContactUpdated',
            data: { ...ids, updatedAt: T0 + 10, changes: cleared('has_hard_bounced') },
          },
        ]);
    });

    it('records nothing when nothing changes, written when it was written last', () => {
      given([user])
        .when({
          type: 'UpdateContact',
          data: {
            ...ids,
            role: 'user',
            attributes: { name: 'Ada', custom_attributes: { plan: 'pro' } },
            occurredAt: T0,
          },
          now,
        })
        .thenNothing();
    });

    describe('a write that repeats a value', () => {
      const B = T0 + 10;
      const gold = { name: 'Gold', custom_attributes: { plan: 'gold' } };
      const lead: ContactEvent[] = [
        visitorRegistered(B),
        {
          type: 'VisitorBecameLead',
          data: { ...ids, becameLeadAt: B, cause: 'conversation_started' },
        },
        { type: 'ContactUpdated', data: { ...ids, updatedAt: B + 1000, changes: gold } },
      ];
      const later = B + 5000;
      const messengerWrite = (at: number, attributes: AttributeChanges): ContactCommand => ({
        type: 'UpdateContact',
        data: { ...ids, occurredAt: at, attributes },
        now: later,
      });
      /** The events so far, and those the command records on them. */
      const after = (events: readonly ContactEvent[], command: ContactCommand) => [
        ...events,
        ...decide(command, fold(events)),
      ];

      it('records the newer write time of the fields it repeats, and nothing else', () => {
        given(lead)
          .when(messengerWrite(B + 2000, gold))
          .then([
            {
              type: 'ContactUpdated',
              data: {
                ...ids,
                updatedAt: B + 2000,
                changes: {},
                reaffirmed: ['name', 'custom_attributes.plan'],
              },
            },
          ]);
      });

      it('keeps a repeated value against an older write reported later (messenger)', () => {
        const repeated = after(lead, messengerWrite(B + 2000, gold));
        const late = after(
          repeated,
          messengerWrite(B + 1500, { name: 'Free', custom_attributes: { plan: 'free' } }),
        );
        expect(fold(late)).toMatchObject({
          name: 'Gold',
          custom_attributes: { plan: 'gold' },
          updated_at: B + 1000,
          fieldWrittenAt: { name: B + 2000, 'custom_attributes.plan': B + 2000 },
        });
      });

      it('keeps a value the API repeated now against an older messenger write reported later', () => {
        const put: ContactCommand = {
          type: 'UpdateContact',
          data: { ...ids, attributes: { custom_attributes: { plan: 'gold' } } },
          now: later,
        };
        given(lead)
          .when(put)
          .then([
            {
              type: 'ContactUpdated',
              data: {
                ...ids,
                updatedAt: later,
                changes: {},
                reaffirmed: ['custom_attributes.plan'],
              },
            },
          ]);
        const late = after(
          after(lead, put),
          messengerWrite(B + 1500, { custom_attributes: { plan: 'free' } }),
        );
        expect(fold(late)).toMatchObject({
          custom_attributes: { plan: 'gold' },
          updated_at: B + 1000,
        });
      });

      it('records nothing for a repeat at the time of the last write of its fields', () => {
        given(lead)
          .when(messengerWrite(B + 1000, gold))
          .thenNothing();
      });

      it('records a repeat older than the last write of its fields as the late write it is, for history only', () => {
        given(lead)
          .when(messengerWrite(B + 500, gold))
          .then([{ type: 'ContactUpdated', data: { ...ids, updatedAt: B + 500, changes: gold } }]);
        // Now is as it was; as of B + 500 (events by event time), the value is the late write's.
        const late = after(lead, messengerWrite(B + 500, gold));
        expect(fold(late)).toMatchObject({
          ...gold,
          updated_at: B + 1000,
          fieldWrittenAt: { name: B + 1000, 'custom_attributes.plan': B + 1000 },
        });
        const byEventTime = [lead[0]!, lead[1]!, late[3]!];
        expect(fold(byEventTime)).toMatchObject(gold);
      });

      it('keeps in history a late write of the value a newer write left, between its time and the next write', () => {
        const free = { name: 'Free', custom_attributes: { plan: 'free' } };
        const changed = after(lead, messengerWrite(B + 2000, free));
        const late = after(changed, messengerWrite(B + 1500, free));
        expect(late.slice(changed.length)).toEqual([
          { type: 'ContactUpdated', data: { ...ids, updatedAt: B + 1500, changes: free } },
        ]);
        expect(fold(late)).toMatchObject({ ...free, updated_at: B + 2000 });
        // As of B + 1500 to B + 1999 (events by event time up to then): Free already.
        expect(fold([...lead, late[late.length - 1]!])).toMatchObject(free);
      });

      it('records only the fields that change when it changes some and repeats others no newer', () => {
        given(lead)
          .when(messengerWrite(B + 1000, { name: 'Gold', phone: '+1' }))
          .then([
            {
              type: 'ContactUpdated',
              data: { ...ids, updatedAt: B + 1000, changes: { phone: '+1' } },
            },
          ]);
      });
    });

    it('removes a custom attribute set to null', () => {
      given([user])
        .when({
          type: 'UpdateContact',
          data: { ...ids, attributes: { custom_attributes: { plan: null } } },
          now,
        })
        .then([
          {
            type: 'ContactUpdated',
            data: { ...ids, updatedAt: now, changes: { custom_attributes: { plan: null } } },
          },
        ]);
    });

    it('compares locations by value', () => {
      given([user])
        .when({
          type: 'UpdateContact',
          data: {
            ...ids,
            attributes: { location: { country: 'Ireland', region: null, city: 'Cork' } },
          },
          now,
        })
        .then([
          {
            type: 'ContactUpdated',
            data: {
              ...ids,
              updatedAt: now,
              changes: { location: { country: 'Ireland', region: null, city: 'Cork' } },
            },
          },
        ]);
    });

    it('promotes a lead to a user', () => {
      given([leadCreated()])
        .when({ type: 'UpdateContact', data: { ...ids, role: 'user', attributes: {} }, now })
        .then([
          { type: 'ContactUpdated', data: { ...ids, updatedAt: now, changes: { role: 'user' } } },
        ]);
    });

    it('refuses to turn a user back into a lead', () => {
      given([user])
        .when({
          type: 'UpdateContact',
          data: { ...ids, role: 'lead', attributes: { name: 'X' } },
          now,
        })
        .thenThrows(InvalidRoleChange, {
          code: 'parameter_invalid',
          field: 'role',
          from: 'user',
          to: 'lead',
        });
    });

    it('never moves last_seen_at backwards', () => {
      given([userCreated({ last_seen_at: T0 + 50 })])
        .when({
          type: 'UpdateContact',
          data: { ...ids, attributes: { last_seen_at: T0 + 10, owner_id: '7' } },
          now,
        })
        .then([
          { type: 'ContactUpdated', data: { ...ids, updatedAt: now, changes: { owner_id: '7' } } },
        ]);
    });

    it('moves last_seen_at forwards', () => {
      given([userCreated({ last_seen_at: T0 + 50 })])
        .when({
          type: 'UpdateContact',
          data: { ...ids, attributes: { last_seen_at: T0 + 60 } },
          now,
        })
        .then([
          {
            type: 'ContactUpdated',
            data: { ...ids, updatedAt: now, changes: { last_seen_at: T0 + 60 } },
          },
        ]);
    });

    it('refuses a deleted contact', () => {
      given([user, deleted()])
        .when({ type: 'UpdateContact', data: { ...ids, attributes: { name: 'X' } }, now })
        .thenThrows(ContactNotFound);
    });

    it('refuses a merged contact', () => {
      given([leadCreated(), mergedInto('user-9')])
        .when({ type: 'UpdateContact', data: { ...ids, attributes: { name: 'X' } }, now })
        .thenThrows(ContactMerged, { into: 'user-9' });
    });

    it('updates a visitor through the Visitors API', () => {
      given([visitorRegistered()])
        .when({
          type: 'UpdateContact',
          data: { ...ids, attributes: { name: 'X' }, visitorsOnly: true },
          now,
        })
        .then([
          { type: 'ContactUpdated', data: { ...ids, updatedAt: now, changes: { name: 'X' } } },
        ]);
    });

    it('refuses, through the Visitors API, a visitor that became a lead since it was looked up', () => {
      given([
        visitorRegistered(),
        {
          type: 'VisitorBecameLead',
          data: { ...ids, becameLeadAt: T0 + 5, cause: 'conversation_started' },
        },
      ])
        .when({
          type: 'UpdateContact',
          data: { ...ids, role: 'lead', attributes: { name: 'X' }, visitorsOnly: true },
          now,
        })
        .thenThrows(ContactNotFound, { contactId: ids.contactId, field: undefined });
    });
  });

  describe('RecordSeen', () => {
    const context = { browser: 'Chrome', os: 'Linux' };
    const seen = (at: number, ctx: SeenContext = context) =>
      ({ type: 'ContactSeen', data: { ...ids, seenAt: at, context: ctx } }) as const;

    it('records the first sighting with its context', () => {
      given([leadCreated()])
        .when({ type: 'RecordSeen', data: { ...ids, context, occurredAt: T0 + 1 }, now })
        .then([seen(T0 + 1)]);
    });

    it('records nothing again within the throttle window', () => {
      given([leadCreated(), seen(T0)])
        .when({ type: 'RecordSeen', data: { ...ids, context, occurredAt: T0 + 299 }, now })
        .thenNothing();
    });

    it('records a sighting within the window when the context changed', () => {
      given([leadCreated(), seen(T0)])
        .when({
          type: 'RecordSeen',
          data: { ...ids, context: { browser: 'Safari' }, occurredAt: T0 + 10 },
          now,
        })
        .then([seen(T0 + 10, { browser: 'Safari' })]);
    });

    it('records a sighting once the window has passed', () => {
      given([leadCreated(), seen(T0)])
        .when({
          type: 'RecordSeen',
          data: { ...ids, context, occurredAt: T0 + 300 },
          now: T0 + 300,
        })
        .then([seen(T0 + 300)]);
    });

    it('uses the configured window', () => {
      given([leadCreated(), seen(T0)])
        .when({
          type: 'RecordSeen',
          data: { ...ids, occurredAt: T0 + 60, throttleSeconds: 60 },
          now,
        })
        .then([seen(T0 + 60, {})]);
    });

    it('ignores a late sighting, even with another context', () => {
      given([leadCreated(), seen(T0 + 1000)])
        .when({
          type: 'RecordSeen',
          data: { ...ids, context: { os: 'iOS' }, occurredAt: T0 + 500 },
          now: T0 + 2000,
        })
        .thenNothing();
    });

    it('records a late sighting that reports what no newer one did', () => {
      given([leadCreated(), seen(T0 + 1000, { browser: 'Chrome' })])
        .when({
          type: 'RecordSeen',
          data: { ...ids, context: { browser: 'Safari', os: 'iOS' }, occurredAt: T0 + 500 },
          now: T0 + 2000,
        })
        .then([seen(T0 + 500, { browser: 'Safari', os: 'iOS' })]);
    });

    it('records a late sighting of a field that only an older sighting reported', () => {
      given([leadCreated(), seen(T0, { browser: 'Chrome' }), seen(T0 + 1000, { os: 'Linux' })])
        .when({
          type: 'RecordSeen',
          data: { ...ids, context: { browser: 'Edge' }, occurredAt: T0 + 500 },
          now: T0 + 2000,
        })
        .then([seen(T0 + 500, { browser: 'Edge' })]);
    });

    it('refuses an unknown contact', () => {
      given([]).when({ type: 'RecordSeen', data: ids, now }).thenThrows(ContactNotFound);
    });
  });

  describe('ArchiveContact and UnarchiveContact', () => {
    const archived = { type: 'ContactArchived', data: { ...ids, archivedAt: T0 + 1 } } as const;

    it('archives a lead', () => {
      given([leadCreated()])
        .when({ type: 'ArchiveContact', data: ids, now })
        .then([{ type: 'ContactArchived', data: { ...ids, archivedAt: now } }]);
    });

    it('records nothing when archiving an archived contact', () => {
      given([userCreated(), archived])
        .when({ type: 'ArchiveContact', data: ids, now })
        .thenNothing();
    });

    it('unarchives an archived user', () => {
      given([userCreated(), archived])
        .when({ type: 'UnarchiveContact', data: ids, now })
        .then([{ type: 'ContactUnarchived', data: { ...ids, unarchivedAt: now } }]);
    });

    it('records nothing when unarchiving a contact that is not archived', () => {
      given([userCreated()]).when({ type: 'UnarchiveContact', data: ids, now }).thenNothing();
    });

    it('refuses to archive a visitor', () => {
      given([visitorRegistered()])
        .when({ type: 'ArchiveContact', data: ids, now })
        .thenThrows(VisitorNotArchivable, { code: 'parameter_invalid' });
    });

    it('refuses to unarchive a visitor', () => {
      given([visitorRegistered()])
        .when({ type: 'UnarchiveContact', data: ids, now })
        .thenThrows(VisitorNotArchivable);
    });

    it('refuses to archive a merged contact', () => {
      given([leadCreated(), mergedInto('user-9')])
        .when({ type: 'ArchiveContact', data: ids, now })
        .thenThrows(ContactMerged, { into: 'user-9' });
    });
  });

  describe('BlockContact', () => {
    const blocked = { type: 'ContactBlocked', data: { ...ids, blockedAt: T0 + 1 } } as const;

    it('blocks a lead, archived or not', () => {
      given([leadCreated(), { type: 'ContactArchived', data: { ...ids, archivedAt: T0 } }])
        .when({ type: 'BlockContact', data: ids, now })
        .then([{ type: 'ContactBlocked', data: { ...ids, blockedAt: now } }]);
    });

    it('records nothing when blocking a blocked contact', () => {
      given([userCreated(), blocked]).when({ type: 'BlockContact', data: ids, now }).thenNothing();
    });

    it('refuses a merged or deleted contact', () => {
      given([leadCreated(), mergedInto('user-9')])
        .when({ type: 'BlockContact', data: ids, now })
        .thenThrows(ContactMerged, { into: 'user-9' });
      given([userCreated(), deleted()])
        .when({ type: 'BlockContact', data: ids, now })
        .thenThrows(ContactNotFound);
    });

    it('refuses a conversation or a reply from a blocked contact', () => {
      for (const type of ['StartConversation', 'ReplyToOutbound'] as const) {
        given([leadCreated(), blocked])
          .when({ type, data: ids, now })
          .thenThrows(ContactIsBlocked, { code: 'contact_blocked' });
        given([leadCreated(), blocked])
          .when({ type, data: { ...ids, occurredAt: T0 + 1 }, now })
          .thenThrows(ContactIsBlocked);
      }
    });

    it('takes a conversation it had before the block, reported late', () => {
      given([leadCreated(), blocked])
        .when({ type: 'StartConversation', data: { ...ids, occurredAt: T0 }, now })
        .then([
          {
            type: 'ConversationStarted',
            data: { ...ids, startedAt: T0, conversationId: null },
          },
        ]);
    });

    it('keeps a blocked contact blocked through archiving, and lets it be seen', () => {
      const archivedAndBack = [
        blocked,
        { type: 'ContactArchived', data: { ...ids, archivedAt: T0 + 2 } },
        { type: 'ContactUnarchived', data: { ...ids, unarchivedAt: T0 + 3 } },
      ] as const;
      given([leadCreated(), ...archivedAndBack])
        .when({ type: 'StartConversation', data: ids, now })
        .thenThrows(ContactIsBlocked);
      given([leadCreated(), ...archivedAndBack])
        .when({ type: 'RecordSeen', data: { ...ids, context: { browser: 'firefox' } }, now })
        .then([
          { type: 'ContactSeen', data: { ...ids, seenAt: now, context: { browser: 'firefox' } } },
        ]);
    });
  });

  describe('DeleteContact', () => {
    it('deletes a live contact, archived or not', () => {
      given([userCreated(), { type: 'ContactArchived', data: { ...ids, archivedAt: T0 } }])
        .when({ type: 'DeleteContact', data: ids, now })
        .then([{ type: 'ContactDeleted', data: { ...ids, deletedAt: now } }]);
    });

    it('deletes a visitor', () => {
      given([visitorRegistered()])
        .when({ type: 'DeleteContact', data: ids, now })
        .then([{ type: 'ContactDeleted', data: { ...ids, deletedAt: now } }]);
    });

    it('refuses a contact deleted already', () => {
      given([userCreated(), deleted()])
        .when({ type: 'DeleteContact', data: ids, now })
        .thenThrows(ContactNotFound, { code: 'not_found' });
    });

    it('refuses an unknown contact', () => {
      given([]).when({ type: 'DeleteContact', data: ids, now }).thenThrows(ContactNotFound);
    });

    it('refuses a merged contact', () => {
      given([leadCreated(), mergedInto('user-9')])
        .when({ type: 'DeleteContact', data: ids, now })
        .thenThrows(ContactMerged, { into: 'user-9' });
    });
  });

  describe('ReportEventSummary', () => {
    const summary = { name: 'ordered', count: 3, first: T0, last: T0 + 5 };
    const reported = { type: 'DataEventSummaryReported', data: { ...ids, ...summary } } as const;

    it('records a reported summary, and nothing for the same report again', () => {
      given([userCreated()])
        .when({ type: 'ReportEventSummary', data: { ...ids, ...summary }, now })
        .then([reported]);
      given([userCreated(), reported])
        .when({ type: 'ReportEventSummary', data: { ...ids, ...summary }, now })
        .thenNothing();
    });

    it('records another count of the same event, and refuses one ending ahead of the clock', () => {
      given([userCreated(), reported])
        .when({ type: 'ReportEventSummary', data: { ...ids, ...summary, count: 4 }, now })
        .then([{ ...reported, data: { ...reported.data, count: 4 } }]);
      given([userCreated()])
        .when({ type: 'ReportEventSummary', data: { ...ids, ...summary, last: now + 301 }, now })
        .thenThrows(EventTimeInFuture, { field: 'event_summaries.last' });
      given([userCreated()])
        .when({ type: 'ReportEventSummary', data: { ...ids, ...summary, first: T0 + 6 }, now })
        .thenThrows(SummaryEndsBeforeItStarts, { field: 'event_summaries.first' });
    });
  });

  describe('TrackEvent', () => {
    const tracked = {
      type: 'DataEventTracked',
      data: { ...ids, name: 'ordered', createdAt: T0 + 5, metadata: { total: 12.5 } },
    } as const;

    it('records a data event with its metadata', () => {
      given([userCreated()])
        .when({
          type: 'TrackEvent',
          data: { ...ids, name: 'ordered', createdAt: T0 + 5, metadata: { total: 12.5 } },
          now,
        })
        .then([tracked]);
    });

    it('refuses an event more than five minutes ahead of the clock', () => {
      given([userCreated()])
        .when({ type: 'TrackEvent', data: { ...ids, name: 'ordered', createdAt: now + 301 }, now })
        .thenThrows(EventTimeInFuture, { code: 'parameter_invalid', field: 'created_at' });
    });

    it('records nothing for a second event with the same name and time', () => {
      given([userCreated(), tracked])
        .when({ type: 'TrackEvent', data: { ...ids, name: 'ordered', createdAt: T0 + 5 }, now })
        .thenNothing();
    });

    it('records the same name at another time', () => {
      given([userCreated(), tracked])
        .when({ type: 'TrackEvent', data: { ...ids, name: 'ordered', createdAt: T0 + 6 }, now })
        .then([
          {
            type: 'DataEventTracked',
            data: { ...ids, name: 'ordered', createdAt: T0 + 6, metadata: {} },
          },
        ]);
    });

    it('tracks events of a visitor', () => {
      given([visitorRegistered()])
        .when({ type: 'TrackEvent', data: { ...ids, name: 'viewed', createdAt: T0 }, now })
        .then([
          {
            type: 'DataEventTracked',
            data: { ...ids, name: 'viewed', createdAt: T0, metadata: {} },
          },
        ]);
    });

    it('refuses an unknown contact', () => {
      given([])
        .when({ type: 'TrackEvent', data: { ...ids, name: 'x', createdAt: T0 }, now })
        .thenThrows(ContactNotFound);
    });
  });
});

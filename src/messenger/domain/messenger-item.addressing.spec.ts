import type { MessengerItem } from './messenger-item';
import { addressingOf, addressingField } from './messenger-item.addressing';

const item = (fields: Partial<MessengerItem>): MessengerItem => ({
  id: 'k1',
  type: 'event.tracked',
  occurredAt: 1_700_000_000,
  eventName: 'clicked',
  ...fields,
});

describe('addressingOf: the contact a messenger item addresses', () => {
  it('a visitor_id alone addresses the contact it leads to', () => {
    expect(addressingOf(item({ visitorId: 'v1' }))).toEqual({ by: 'visitor_id', visitorId: 'v1' });
  });

  it('a contact_id addresses its contact, with the identity and visitor_id to check against it', () => {
    expect(
      addressingOf(item({ contactId: 'c1', visitorId: 'v1', externalId: 'ada', email: 'a@x.io' })),
    ).toEqual({
      by: 'contact_id',
      contactId: 'c1',
      identity: { external_id: 'ada', email: 'a@x.io' },
      visitorId: 'v1',
    });
  });

  it.each([
    ['event.tracked', {}],
    ['visitor.seen', {}],
    ['conversation.started', { conversationId: 'c' }],
    ['outbound.replied', { conversationId: 'c' }],
    ['contact.attributes_updated', { attributes: { name: 'Ada' } }],
  ] as const)(
    'a %s naming an external_id or email beside a visitor_id addresses the holder, as a contact_id would',
    (type, fields) => {
      expect(addressingOf(item({ type, ...fields, visitorId: 'v1', externalId: 'ada' }))).toEqual({
        by: 'identity',
        identity: { external_id: 'ada' },
        field: 'external_id',
        visitorId: 'v1',
      });
      expect(addressingOf(item({ type, ...fields, visitorId: 'v1', email: 'a@x.io' }))).toEqual({
        by: 'identity',
        identity: { email: 'a@x.io' },
        field: 'email',
        visitorId: 'v1',
      });
    },
  );

  it('an identity without a session addresses its holder, named by its external_id first', () => {
    expect(addressingOf(item({ externalId: 'ada', email: 'a@x.io' }))).toEqual({
      by: 'identity',
      identity: { external_id: 'ada', email: 'a@x.io' },
      field: 'external_id',
    });
  });

  it("email.supplied's email is the address typed in, never whom the item addresses", () => {
    const supplied = (fields: Partial<MessengerItem>) =>
      addressingOf(item({ type: 'email.supplied', email: 'typed@x.io', ...fields }));
    expect(supplied({ visitorId: 'v1' })).toEqual({ by: 'visitor_id', visitorId: 'v1' });
    expect(supplied({ externalId: 'ada' })).toEqual({
      by: 'identity',
      identity: { external_id: 'ada' },
      field: 'external_id',
    });
    expect(supplied({ visitorId: 'v1', externalId: 'ada' })).toEqual({
      by: 'identity',
      identity: { external_id: 'ada' },
      field: 'external_id',
      visitorId: 'v1',
    });
  });

  it.each(['contact.signed_up', 'contact.logged_in'] as const)(
    "a %s gives its identity to the visitor_id's session rather than addressing its holder",
    (type) => {
      expect(addressingOf(item({ type, visitorId: 'v1', externalId: 'ada' }))).toEqual({
        by: 'visitor_id',
        visitorId: 'v1',
      });
      expect(addressingOf(item({ type, email: 'a@x.io' }))).toEqual({
        by: 'identity',
        identity: { email: 'a@x.io' },
        field: 'email',
      });
    },
  );
});

describe('addressingField: the field a not_found rejection names', () => {
  it.each([
    [{ contactId: 'c1', visitorId: 'v1', externalId: 'ada' }, 'contact_id'],
    [{ visitorId: 'v1', externalId: 'ada' }, 'external_id'],
    [{ visitorId: 'v1', email: 'a@x.io' }, 'email'],
    [{ visitorId: 'v1' }, 'visitor_id'],
    [{ email: 'a@x.io' }, 'email'],
  ] as const)('%j: %s', (fields, field) => {
    expect(addressingField(item(fields))).toBe(field);
  });

  it("a sign-up or log-in's session, when it has one", () => {
    expect(
      addressingField(item({ type: 'contact.logged_in', visitorId: 'v1', externalId: 'ada' })),
    ).toBe('visitor_id');
  });
});

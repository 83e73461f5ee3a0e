import fc from 'fast-check';
import { newLiveContact, type ContactState } from '../../src/contacts/domain/contact.state';
import { dayOf, forEachHeldValueChange, heldValues } from './held-attribute-values';

const T = 1_700_000_123;

describe('heldValues', () => {
  const lead = {
    ...newLiveContact({ status: 'lead', id: 'c1', workspace_id: 'ws', created_at: T }),
    email: 'Ada@Example.COM',
    last_seen_at: T + 90_000,
    location: { country: 'France', region: null, city: null },
    custom_attributes: { plan: 'pro', seats: 3, vip: false },
  };

  it('keeps standard values, dates as UTC days, custom values with their type, and skips nulls', () => {
    const held = new Map(heldValues(lead).map((item) => [item.attribute, item.value]));
    expect(held.get('role')).toBe('"lead"');
    expect(held.get('email_domain')).toBe('"example.com"');
    expect(held.get('location.country')).toBe('"France"');
    expect(held.has('location.city')).toBe(false);
    expect(held.has('name')).toBe(false);
    expect(held.get('has_hard_bounced')).toBe('false');
    expect(held.get('created_at')).toBe(String(dayOf(T)));
    expect(held.get('last_seen_at')).toBe(String(dayOf(T) + 86_400));
    expect(held.get('custom_attributes.plan')).toBe('"pro"');
    expect(held.get('custom_attributes.seats')).toBe('3');
    expect(held.get('custom_attributes.vip')).toBe('false');
  });

  it('counts only leads and users', () => {
    expect(heldValues({ ...lead, status: 'visitor' })).toEqual([]);
    expect(
      heldValues({ status: 'deleted', id: 'c1', workspace_id: 'ws', deletedAt: T, absorbed: [] }),
    ).toEqual([]);
    expect(heldValues({ ...lead, status: 'user' }).length).toBe(heldValues(lead).length);
  });
});

describe('forEachHeldValueChange', () => {
  const names = fc.constantFrom('plan', 'seats', 'constructor', 'toString', '__proto__');
  const state: fc.Arbitrary<ContactState> = fc.oneof(
    fc.constant<ContactState>({ status: 'none' }),
    fc
      .record({
        status: fc.constantFrom('visitor' as const, 'lead' as const, 'user' as const),
        email: fc.option(fc.constantFrom('a@x.io', 'b@Y.com')),
        name: fc.option(fc.constantFrom('Ada', 'Bob')),
        lastSeenAt: fc.option(fc.constantFrom(T, T + 60, T + 90_000)),
        unsubscribed: fc.boolean(),
        custom: fc.dictionary(
          names,
          fc.option(
            fc.oneof(fc.constantFrom('pro', 'free'), fc.integer({ min: 0, max: 2 }), fc.boolean()),
          ),
        ),
      })
      .map(({ status, email, name, lastSeenAt, unsubscribed, custom }) => ({
        ...newLiveContact({ status, id: 'c1', workspace_id: 'ws', created_at: T }),
        email,
        name,
        last_seen_at: lastSeenAt,
        unsubscribed_from_emails: unsubscribed,
        custom_attributes: JSON.parse(JSON.stringify(custom)) as Record<
          string,
          string | number | boolean | null
        >,
      })),
  );

  it('reports, once each, the attributes whose held values differ between the two states', () => {
    fc.assert(
      fc.property(state, state, (before, after) => {
        const left = new Map(heldValues(before).map((held) => [held.attribute, held.value]));
        const arrived = new Map(heldValues(after).map((held) => [held.attribute, held.value]));
        const expected = new Map<string, [string | null, string | null]>();
        for (const attribute of new Set([...left.keys(), ...arrived.keys()])) {
          const was = left.get(attribute) ?? null;
          const is = arrived.get(attribute) ?? null;
          if (was !== is) expected.set(attribute, [was, is]);
        }
        const reported = new Map<string, [string | null, string | null]>();
        forEachHeldValueChange(before, after, (attribute, was, is) => {
          expect(reported.has(attribute)).toBe(false);
          reported.set(attribute, [was, is]);
        });
        expect(reported).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});

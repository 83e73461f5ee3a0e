import { newLiveContact } from '../../src/contacts/domain/contact.state';
import { dayOf, heldValues } from './held-attribute-values';

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

import fc from 'fast-check';
import { newLiveContact, type LiveContact } from '../../src/contacts/domain/contact.state';
import { liveRow, liveSearchable, searchableOfRow } from './contacts.projection';
import { CONTACT_COLUMNS, contactRowOf } from './contacts.table';

const text = fc.option(fc.string({ maxLength: 6 }), { nil: null });
const seconds = fc.option(fc.integer({ min: 0, max: 2_000_000_000 }), { nil: null });

/** A live contact with every column `liveRow` reads set to an arbitrary value. */
const liveContact: fc.Arbitrary<LiveContact> = fc
  .record({
    status: fc.constantFrom('visitor' as const, 'lead' as const, 'user' as const),
    email: fc.option(fc.emailAddress(), { nil: null }),
    strings: fc.array(text, { minLength: 20, maxLength: 20 }),
    times: fc.array(seconds, { minLength: 4, maxLength: 4 }),
    flags: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    custom: fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string(), fc.integer())),
  })
  .map(({ status, email, strings: s, times: t, flags: f, custom }) => ({
    ...newLiveContact({ status, id: 'c1', workspace_id: 'ws', created_at: 1_700_000_000 }),
    email,
    phone: s[0]!,
    name: s[1]!,
    avatar: s[2]!,
    external_id: s[3]!,
    owner_id: s[4]!,
    language_override: s[5]!,
    browser: s[6]!,
    browser_version: s[7]!,
    browser_language: s[8]!,
    os: s[9]!,
    location: { country: s[10]!, region: s[11]!, city: s[12]! },
    referrer: s[13]!,
    utm_campaign: s[14]!,
    utm_content: s[15]!,
    utm_medium: s[16]!,
    utm_source: s[17]!,
    utm_term: s[18]!,
    user_id: s[19]!,
    signed_up_at: t[0]!,
    last_seen_at: t[1]!,
    last_replied_at: t[2]!,
    last_contacted_at: t[3]!,
    unsubscribed_from_emails: f[0]!,
    has_hard_bounced: f[1]!,
    marked_email_as_spam: f[2]!,
    archived: f[3]!,
    custom_attributes: custom,
  }));

describe('liveSearchable', () => {
  it('is liveRow with the fold’s custom attributes and without the JSON text no rule reads', () => {
    fc.assert(
      fc.property(liveContact, fc.nat(), (contact, revision) => {
        const { merge_history, field_written_at, ...row } = liveRow(contact, revision);
        expect(typeof merge_history).toBe('string');
        expect(typeof field_written_at).toBe('string');
        expect(liveSearchable(contact, revision)).toStrictEqual({
          ...row,
          custom_attributes: contact.custom_attributes,
        });
      }),
    );
  });
});

describe('searchableOfRow', () => {
  it('copies every column of the row but its JSON text, with the custom attributes given', () => {
    // Each column holds its own name, so a column copied from another shows.
    const {
      merge_history: _history,
      field_written_at: _written,
      ...row
    } = contactRowOf(CONTACT_COLUMNS);
    const customAttributes = { plan: 'pro' };
    expect(searchableOfRow(contactRowOf(CONTACT_COLUMNS), customAttributes)).toStrictEqual({
      ...row,
      custom_attributes: customAttributes,
    });
  });
});

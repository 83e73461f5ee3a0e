import fastify from 'fastify';
import type { ContactsTable } from '../../../projections/contacts/contacts.table';
import { RESERVED_CONTACT_ATTRIBUTE_NAMES } from '../../data-attributes/domain/built-in-contact-attributes';
import { IntercomVersion } from '../../shared/http/intercom-version';
import { toContactResponse } from './contact.response';
import {
  CONTACT_LIST_ROUTE_SCHEMA,
  CONTACT_RESPONSE_SCHEMA,
  CONTACT_ROUTE_SCHEMA,
} from './contact.response-schema';

const row: ContactsTable = {
  workspace_id: 'ws',
  id: '65a000000000000000000001',
  role: 'user',
  status: 'live',
  merged_into: null,
  archived: 1,
  external_id: 'ext-1',
  email: 'ada@example.com',
  email_domain: 'example.com',
  phone: '+44 1',
  name: 'Ada',
  avatar: 'https://example.com/ada.png',
  owner_id: '42',
  visitor_user_id: null,
  created_at: 1_700_000_000,
  updated_at: 1_700_000_100,
  signed_up_at: 1_700_000_050,
  last_seen_at: null,
  last_replied_at: 1_700_000_060,
  last_contacted_at: null,
  unsubscribed_from_emails: 1,
  has_hard_bounced: 0,
  marked_email_as_spam: 0,
  language_override: 'fr',
  browser: 'firefox',
  browser_version: '120',
  browser_language: 'fr-FR',
  os: 'Linux',
  location_country: 'France',
  location_region: null,
  location_city: 'Paris',
  referrer: 'https://example.org/',
  utm_campaign: 'launch',
  utm_content: null,
  utm_medium: 'email',
  utm_source: 'newsletter',
  utm_term: null,
  custom_attributes: JSON.stringify({ plan: 'pro', seats: 3, trial: false, nested: null }),
  merge_history: JSON.stringify([
    { source_contact_id: 'abc', source_contact_role: 'lead', merged_at: 1_700_000_070 },
  ]),
  field_written_at: '{}',
  revision: 4,
};

describe('the contact response schema', () => {
  it.each([
    ['2.14 with merge history', IntercomVersion.parse('2.14'), true],
    ['2.16 without merge history', IntercomVersion.parse('2.16'), false],
  ])(
    'serializes every field of the contact object unchanged (%s)',
    async (_label, version, includeMergeHistory) => {
      const expected = toContactResponse(row, version, { includeMergeHistory });
      const app = fastify();
      app.get('/contact', { schema: CONTACT_ROUTE_SCHEMA }, () => expected);
      const response = await app.inject({ method: 'GET', url: '/contact' });
      await app.close();
      expect(JSON.parse(response.body)).toEqual(JSON.parse(JSON.stringify(expected)));
    },
  );
});

describe('the contact list response schema', () => {
  it('serializes a page of contacts, its count and its pages unchanged, with and without a next page', async () => {
    const contact = toContactResponse(row, IntercomVersion.parse('2.16'), {
      includeMergeHistory: false,
    });
    const pages = { type: 'pages', page: 1, per_page: 2, total_pages: 2 };
    const bodies = [
      {
        type: 'list',
        data: [contact, contact],
        total_count: 3,
        pages: { ...pages, next: { page: 2, starting_after: 'abc' } },
      },
      { type: 'list', data: [], total_count: 0, pages: { ...pages, total_pages: 0 } },
    ];
    for (const expected of bodies) {
      const app = fastify();
      app.get('/contacts', { schema: CONTACT_LIST_ROUTE_SCHEMA }, () => expected);
      const response = await app.inject({ method: 'GET', url: '/contacts' });
      await app.close();
      expect(JSON.parse(response.body)).toEqual(JSON.parse(JSON.stringify(expected)));
    }
  });
});

describe('the contact object and custom attribute names', () => {
  it('reserves every top-level key of the contact object: no custom attribute may take one', () => {
    const keys = Object.keys(CONTACT_RESPONSE_SCHEMA.properties);
    expect(keys.filter((key) => !RESERVED_CONTACT_ATTRIBUTE_NAMES.has(key))).toEqual([]);
  });
});

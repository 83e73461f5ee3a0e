import fastify, { type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { ContactsTable } from '../../projections/contacts/contacts.table';
import { toContactResponse } from '../../src/contacts/http/contact.response';
import { CONTACT_ROUTE_SCHEMA } from '../../src/contacts/http/contact.response-schema';
import { OWNER_ID_MAX_DIGITS } from '../../src/contacts/domain/contact.attributes';
import { sqliteContactResponseJson } from '../../src/contacts/http/contact.response-sql';
import { IntercomVersion } from '../../src/shared/http/intercom-version';
import {
  contactGenerator,
  createContactsTable,
  insertContacts,
} from '../support/contact-search-fixtures';
import { openTestReadStore, type TestReadStore } from '../support/read-store-targets';

const TABLE = 'contacts_json';
const WORKSPACE = 'ws_json';

/** Values that JSON text, SQLite and JavaScript could each render their own way. */
const AWKWARD_STRINGS = [
  '',
  'quote " and backslash \\ and slash /',
  'controls \u0000\u0001\b\t\n\f\r\u001f\u007f end',
  'line separators \u2028\u2029',
  'accents éàü, CJK 漢字, emoji 😀',
  'lone surrogate \ud800 here',
  '<script>&amp;</script>',
];
const OWNER_IDS = [
  null,
  '7',
  '007',
  '0',
  '42',
  '123456789012345',
  '1234567890123456',
  'abc',
  '12a',
  ' 1',
  '1.5',
  '-1',
  '',
];
const CUSTOM_ATTRIBUTES = [
  {},
  { plan: 'pro', seats: 3, trial: false, nested: null },
  {
    b: 1,
    '1': 'integer-like key first',
    a: [1.5, -0, 1e21, 1e-7, 0.1 + 0.2, 2 ** 64],
  },
  { deep: { list: [{ x: 'é' }, [], {}], text: AWKWARD_STRINGS.join('|') } },
  { 'clé ünïcode 😀': '\u2028', empty: '' },
];

/**
 * `sqliteContactResponseJson` answers `GET /contacts/{id}` on SQLite in place of
 * `toContactResponse` and the route's serializer: for every row it must be the very text they
 * produce, byte for byte, in both owner id forms.
 */
describe('the contact JSON built by SQLite', () => {
  let readStore: TestReadStore;
  let serializer: FastifyInstance;
  const rows: ContactsTable[] = [];

  beforeAll(async () => {
    readStore = await openTestReadStore('sqlite');
    await createContactsTable(readStore.store.db, 'sqlite', TABLE);
    const generator = contactGenerator(20260101, WORKSPACE);
    for (let index = 0; index < 300; index += 1) rows.push(generator.next());
    const awkward = (index: number) => AWKWARD_STRINGS[index % AWKWARD_STRINGS.length]!;
    OWNER_IDS.forEach((ownerId, index) =>
      CUSTOM_ATTRIBUTES.forEach((attributes, variant) =>
        rows.push(
          generator.next({
            owner_id: ownerId,
            custom_attributes: JSON.stringify(attributes),
            name: awkward(index + variant),
            email: awkward(index + variant + 1),
            avatar: variant % 2 === 0 ? null : awkward(index),
            location_city: awkward(index + variant + 2),
            archived: variant % 2,
            has_hard_bounced: (variant + 1) % 2,
            last_seen_at: variant === 0 ? null : 1_700_000_000 + index,
          }),
        ),
      ),
    );
    await insertContacts(readStore.store.db, TABLE, rows);
    serializer = fastify();
    serializer.post('/contact', { schema: CONTACT_ROUTE_SCHEMA }, (request) => {
      const { row, version } = request.body as { row: ContactsTable; version: string };
      return toContactResponse(row, IntercomVersion.parse(version));
    });
  });
  afterAll(async () => {
    await serializer.close();
    await readStore.dispose();
  });

  it.each(['2.14', '2.15', '2.16'])(
    'is what toContactResponse and the route schema make of every row (version %s)',
    async (versionText) => {
      const version = IntercomVersion.parse(versionText);
      const ownerIdAsNumber = !version.atLeast(2, 16);
      const { rows: stored } = await sql<ContactsTable & { body: string }>`
        SELECT *, ${sqliteContactResponseJson(ownerIdAsNumber)} AS body
        FROM ${sql.table(TABLE)} ORDER BY id`.execute(readStore.store.db);
      expect(stored).toHaveLength(rows.length);
      let compared = 0;
      for (const { body, ...row } of stored) {
        // The read model leaves these to the general mapping (`getContactJsonOrThrow`).
        const longDigits =
          row.owner_id !== null &&
          row.owner_id.length > OWNER_ID_MAX_DIGITS &&
          /^\d+$/.test(row.owner_id);
        if (ownerIdAsNumber && longDigits) continue;
        const expected = await serializer.inject({
          method: 'POST',
          url: '/contact',
          payload: { row, version: versionText },
        });
        expect({ id: row.id, body }).toEqual({ id: row.id, body: expected.body });
        compared += 1;
      }
      expect(compared).toBeGreaterThan(rows.length - 10);
    },
  );
});

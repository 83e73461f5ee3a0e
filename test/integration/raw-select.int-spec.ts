import fc from 'fast-check';
import type { Kysely } from 'kysely';
import { createContactsTable } from '../../projections/contacts/contacts.schema';
import {
  CONTACT_COLUMNS,
  contactRowOf,
  type ContactsReadModel,
  type ContactsTable,
} from '../../projections/contacts/contacts.table';
import { insertRows } from '../../projections/shared/raw-insert';
import { selectByIds } from '../../projections/shared/raw-select';
import {
  MEMBERSHIP_CONTACT_COLUMNS,
  membershipContactRowOf,
} from '../../projections/segment-membership/segment-membership.tables';
import {
  describeOnReadStores,
  openTestReadStore,
  type TestReadStore,
} from '../support/read-store-targets';

const BIGINT_COLUMNS = [
  'created_at',
  'updated_at',
  'signed_up_at',
  'last_seen_at',
  'last_replied_at',
  'last_contacted_at',
  'revision',
] as const satisfies readonly (keyof ContactsTable)[];

const text = fc.option(fc.string({ maxLength: 8, unit: 'grapheme' }), { nil: null });
const seconds = fc.option(fc.integer({ min: 0, max: 2_000_000_000 }), { nil: null });
const flag = fc.constantFrom(0, 1);
const json = fc
  .dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string({ maxLength: 4 }), fc.integer()))
  .map((value) => JSON.stringify(value));

/** Every column with its kind of value: text (any characters), bigint, integer flags, JSON. */
const contactRow = (id: string): fc.Arbitrary<ContactsTable> =>
  fc.record({
    workspace_id: fc.constant('ws'),
    id: fc.constant(id),
    role: fc.constantFrom('visitor', 'lead', 'user'),
    status: fc.constantFrom('live', 'merged'),
    merged_into: text,
    archived: flag,
    external_id: text,
    email: text,
    email_domain: text,
    phone: text,
    name: text,
    avatar: text,
    owner_id: text,
    visitor_user_id: text,
    created_at: fc.integer({ min: 0, max: 2_000_000_000 }),
    updated_at: fc.integer({ min: 0, max: 2_000_000_000 }),
    signed_up_at: seconds,
    last_seen_at: seconds,
    last_replied_at: seconds,
    last_contacted_at: seconds,
    unsubscribed_from_emails: flag,
    has_hard_bounced: flag,
    marked_email_as_spam: flag,
    language_override: text,
    browser: text,
    browser_version: text,
    browser_language: text,
    os: text,
    location_country: text,
    location_region: text,
    location_city: text,
    referrer: text,
    utm_campaign: text,
    utm_content: text,
    utm_medium: text,
    utm_source: text,
    utm_term: text,
    custom_attributes: json,
    merge_history: fc.constantFrom('[]', '[{"source_contact_id":"a","merged_at":1}]'),
    field_written_at: json,
    revision: fc.integer({ min: 0, max: 1_000_000 }),
  });

describe('contactRowOf', () => {
  it('reads each column from its place in CONTACT_COLUMNS', () => {
    const row = contactRowOf(CONTACT_COLUMNS);
    expect(Object.keys(row)).toEqual(CONTACT_COLUMNS);
    for (const column of CONTACT_COLUMNS) expect(row[column]).toBe(column);
  });

  it('and membershipContactRowOf each from its place in MEMBERSHIP_CONTACT_COLUMNS', () => {
    const row = membershipContactRowOf(MEMBERSHIP_CONTACT_COLUMNS);
    expect(Object.keys(row)).toEqual(MEMBERSHIP_CONTACT_COLUMNS);
    for (const column of MEMBERSHIP_CONTACT_COLUMNS) expect(row[column]).toBe(column);
  });
});

describeOnReadStores('rows selected by id as JSON arrays', (dialect) => {
  let target: TestReadStore;
  let db: Kysely<ContactsReadModel>;

  beforeAll(async () => {
    target = await openTestReadStore(dialect);
    db = target.store.db as Kysely<ContactsReadModel>;
    await createContactsTable(db, (logical) => logical);
  });
  afterAll(() => target.dispose());

  /** As Kysely's `selectAll` reads the rows, in both dialects' terms: bigint as a number. */
  const selectedAll = async (ids: readonly string[]): Promise<ContactsTable[]> => {
    // PostgreSQL refuses an empty `IN ()`, which Kysely would write.
    if (ids.length === 0) return [];
    const rows = await db
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', 'ws')
      .where('id', 'in', ids)
      .execute();
    return rows.map((row) => {
      const converted: Record<string, unknown> = { ...row };
      for (const column of BIGINT_COLUMNS) {
        converted[column] = row[column] === null ? null : Number(row[column]);
      }
      return converted as unknown as ContactsTable;
    });
  };

  const raw = () => db as unknown as Kysely<unknown>;
  const insertContacts = (rows: readonly ContactsTable[]) =>
    insertRows(raw(), 'contacts', CONTACT_COLUMNS, rows);
  /** The workspace `ws` rows of `ids`, through `selectByIds`. */
  const selectedByIds = (ids: readonly string[]) =>
    selectByIds(raw(), 'contacts', 'id', CONTACT_COLUMNS, contactRowOf, 'ws', ids);

  const byId = (rows: readonly ContactsTable[]) =>
    [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  it('returns the rows selectAll returns, value for value, whatever the number of ids asked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 1_500 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 1_200 }),
        fc.integer(),
        async (present, asked, seed) => {
          await db.deleteFrom('contacts').execute();
          const ids = present.map((n) => `c${n}`);
          const rows = ids.map(
            (id, index) => fc.sample(contactRow(id), { numRuns: 1, seed: seed + index })[0]!,
          );
          await insertContacts(rows);
          // Ids present and absent, more than one statement's worth at times.
          const wanted = Array.from({ length: asked }, (_, n) => `c${n}`);
          expect(byId(await selectedByIds(wanted))).toEqual(byId(await selectedAll(wanted)));
        },
      ),
      { numRuns: dialect === 'postgres' ? 15 : 40 },
    );
  });

  it('finds nothing of another workspace', async () => {
    await db.deleteFrom('contacts').execute();
    const [row] = fc.sample(contactRow('c1'), { numRuns: 1, seed: 1 });
    await insertContacts([{ ...row!, workspace_id: 'other' }]);
    await expect(selectedByIds(['c1'])).resolves.toEqual([]);
  });
});

import { sql, type Kysely } from 'kysely';
import type { ContactsTable } from '../../projections/contacts/contacts.table';
import { ARRIVAL_FIELDS, NO_ARRIVAL } from '../../src/contacts/domain/contact.attributes';
import type { SearchFieldType } from '../../src/contacts/search/contact-search.fields';
import type { SearchDialect } from '../../src/contacts/search/contact-search.sql';

/** The custom attributes the generated contacts carry, one per data type. */
export const SEARCH_TEST_ATTRIBUTES: Readonly<Record<string, SearchFieldType>> = {
  plan: 'string',
  seats: 'integer',
  score: 'float',
  vip: 'boolean',
  renewal: 'date',
};

/** Creates a table shaped as `ContactsTable` (PostgreSQL: `bigint` times, `jsonb` attributes). */
export async function createContactsTable<DB>(
  db: Kysely<DB>,
  dialect: SearchDialect,
  table: string,
): Promise<void> {
  const time = dialect === 'sqlite' ? 'integer' : 'bigint';
  const json = dialect === 'sqlite' ? 'text' : 'jsonb';
  const text = (name: string, notNull = false) =>
    sql`${sql.id(name)} text${notNull ? sql` NOT NULL` : sql``}`;
  const columns = [
    text('workspace_id', true),
    text('id', true),
    text('role', true),
    text('status', true),
    text('merged_into'),
    sql`archived integer NOT NULL`,
    ...[
      'external_id',
      'email',
      'email_domain',
      'phone',
      'name',
      'avatar',
      'owner_id',
      'visitor_user_id',
    ].map((c) => text(c)),
    sql`created_at ${sql.raw(time)} NOT NULL`,
    sql`updated_at ${sql.raw(time)} NOT NULL`,
    ...['signed_up_at', 'last_seen_at', 'last_replied_at', 'last_contacted_at'].map(
      (c) => sql`${sql.id(c)} ${sql.raw(time)}`,
    ),
    sql`unsubscribed_from_emails integer NOT NULL`,
    sql`has_hard_bounced integer NOT NULL`,
    sql`marked_email_as_spam integer NOT NULL`,
    ...[
      'language_override',
      'browser',
      'browser_version',
      'browser_language',
      'os',
      'location_country',
      'location_region',
      'location_city',
      ...ARRIVAL_FIELDS,
    ].map((c) => text(c)),
    sql`custom_attributes ${sql.raw(json)} NOT NULL`,
    sql`merge_history ${sql.raw(json)} NOT NULL`,
    sql`field_written_at ${sql.raw(json)} NOT NULL`,
    sql`revision integer NOT NULL`,
    sql`PRIMARY KEY (workspace_id, id)`,
  ];
  await sql`CREATE TABLE ${sql.table(table)} (${sql.join(columns)})`.execute(db);
}

export async function insertContacts<DB>(
  db: Kysely<DB>,
  table: string,
  rows: readonly ContactsTable[],
): Promise<void> {
  const target = db as unknown as Kysely<Record<string, ContactsTable>>;
  for (let i = 0; i < rows.length; i += 50) {
    await target
      .insertInto(table)
      .values(rows.slice(i, i + 50))
      .execute();
  }
}

/** A small deterministic PRNG (mulberry32), so a failing case reproduces from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Strings that trip LIKE (`%`, `_`, `\`), case, accents and emptiness. */
export const EDGE_STRINGS: readonly string[] = [
  '',
  '%',
  '_',
  '\\',
  '50%_off',
  'a_b',
  'a%b',
  'A_B',
  'back\\slash',
  "o'brien",
  'Ada Lovelace',
  'ada lovelace',
  'ADA',
  'École',
  'école',
  'ÉCOLE',
  'naïve',
  'Zoë',
  'zz top',
  '  spaced  ',
];

const EMAILS = [
  'ada@example.com',
  'Ada@Example.COM',
  'grace@navy.mil',
  'GRACE@NAVY.MIL',
  'x_y@ex%ample.org',
  'linus@kernel.org',
  'ümlaut@exämple.de',
];
const COUNTRIES = ['France', 'Germany', 'United States', 'Ireland', 'india'];
const PLANS = ['free', 'pro', 'Pro', 'enterprise', 'pro_plus', '100%'];
const BROWSERS = ['chrome', 'Chrome', 'firefox', 'safari'];

/** Midnights (UTC, New York, Kolkata) around which generated timestamps cluster. */
export const DAY_ANCHORS: readonly number[] = [
  Date.parse('2024-03-10T00:00:00Z') / 1000,
  Date.parse('2024-03-10T05:00:00Z') / 1000,
  Date.parse('2024-03-11T04:00:00Z') / 1000,
  Date.parse('2024-03-09T18:30:00Z') / 1000,
  Date.parse('2024-06-01T00:00:00Z') / 1000,
];

export interface ContactGenerator {
  next(overrides?: Partial<ContactsTable>): ContactsTable;
}

/** Contacts with NULLs, edge strings, every custom attribute type, and times around day boundaries. */
export function contactGenerator(seed: number, workspaceId: string): ContactGenerator {
  const random = seededRandom(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  const maybe = <T>(value: () => T, nullShare = 0.25): T | null =>
    random() < nullShare ? null : value();
  const string = (pool: readonly string[]): string =>
    random() < 0.4 ? pick(EDGE_STRINGS) : pick(pool);
  const instant = (): number =>
    pick(DAY_ANCHORS) + pick([-86_400, -3_601, -1, 0, 1, 3_599, 43_200, 86_399, 86_400]);
  let counter = 0;
  return {
    next(overrides = {}) {
      counter += 1;
      const id = `${Math.floor(random() * 0xffffff)
        .toString(16)
        .padStart(6, '0')}${String(counter).padStart(5, '0')}`;
      const email = maybe(() => pick(EMAILS));
      const attributes: Record<string, unknown> = {};
      if (random() < 0.75) attributes.plan = string(PLANS);
      if (random() < 0.75) attributes.seats = pick([0, 1, 2, 5, 10, -3, 1000]);
      if (random() < 0.75) attributes.score = pick([0, 0.1, 0.5, 1.5, 2.25, -0.75, 99.99]);
      if (random() < 0.75) attributes.vip = random() < 0.5;
      if (random() < 0.75) attributes.renewal = instant();
      // A value of the wrong JSON type counts as absent, in SQL and in the evaluator alike.
      if (random() < 0.05) attributes.seats = 'many';
      if (random() < 0.05) attributes.plan = 42;
      const createdAt = instant();
      return {
        workspace_id: workspaceId,
        id,
        role: pick(['lead', 'user', 'user', 'visitor']),
        status: random() < 0.9 ? 'live' : 'merged',
        merged_into: null,
        archived: random() < 0.1 ? 1 : 0,
        external_id: maybe(() => string(['ext-1', 'ext-2', 'EXT-1', 'e_1'])),
        email,
        email_domain: email === null ? null : email.slice(email.indexOf('@') + 1),
        phone: maybe(() => pick(['+33 1 23 45 67 89', '+1-555-0100', '555_0100']), 0.5),
        name: maybe(() => string(['Ada Lovelace', 'Grace Hopper', 'Linus', 'Zoë'])),
        avatar: maybe(
          () => pick(['https://img.example/a.png', 'https://cdn.example/Ada.JPG']),
          0.4,
        ),
        // Digits of admin ids; '0123' as a value stored before owner_id was checked.
        owner_id: maybe(() => pick(['1', '2', '5', '17', '1000', '0123']), 0.5),
        visitor_user_id: null,
        created_at: createdAt,
        updated_at: createdAt + pick([0, 1, 3_600, 86_400]),
        signed_up_at: maybe(instant, 0.4),
        last_seen_at: maybe(instant),
        last_replied_at: maybe(instant, 0.5),
        last_contacted_at: maybe(instant, 0.5),
        unsubscribed_from_emails: random() < 0.3 ? 1 : 0,
        has_hard_bounced: random() < 0.2 ? 1 : 0,
        marked_email_as_spam: random() < 0.1 ? 1 : 0,
        language_override: maybe(() => pick(['en', 'fr', 'de']), 0.6),
        browser: maybe(() => pick(BROWSERS)),
        browser_version: null,
        browser_language: maybe(() => pick(['en-GB', 'fr', 'de-DE']), 0.5),
        os: maybe(() => pick(['macOS', 'Windows', 'Linux'])),
        location_country: maybe(() => pick(COUNTRIES)),
        location_region: maybe(() => string(['Île-de-France', 'Bavaria', 'New York'])),
        location_city: maybe(() => string(['Paris', 'Munich', 'New York', 'Dublin'])),
        ...NO_ARRIVAL,
        custom_attributes: JSON.stringify(attributes),
        merge_history: '[]',
        field_written_at: '{}',
        revision: 1,
        ...overrides,
      };
    },
  };
}

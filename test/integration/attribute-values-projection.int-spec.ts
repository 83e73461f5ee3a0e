import fc from 'fast-check';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { AttributeValuesReadModel } from '../../projections/attribute-values/attribute-values.table';
import {
  customAttributeKey,
  SECONDS_PER_DAY,
} from '../../projections/attribute-values/held-attribute-values';
import { contactsProjection } from '../../projections/contacts/contacts.projection';
import type { ContactsReadModel } from '../../projections/contacts/contacts.table';
import { completeMerge } from '../../src/contacts/commands/merge-contacts/complete-merge';
import type { ContactCommand } from '../../src/contacts/domain/contact.commands';
import { contactDecider } from '../../src/contacts/domain/contact.decider';
import { ContactDomainError } from '../../src/contacts/domain/contact.errors';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite/sqlite-event-store';
import type { ReadStoreDialect } from '../../src/infrastructure/read-store/read-store';
import { ManualClock } from '../../src/shared/clock';
import { handleCommand } from '../../src/shared/event-sourcing/handle-command';
import type { RecordedEvent } from '../../src/shared/event-store/event-store.port';
import { contactStreamId } from '../../src/shared/stream-names';
import { collect } from './event-store.conformance';
import {
  describeOnReadStores,
  openTestReadStore,
  type TestReadStore,
  resetProjectionTables,
} from '../support/read-store-targets';

const WORKSPACE = 'ws';
const IDS = ['c0', 'c1', 'c2', 'c3', 'c4'].map(
  (suffix) => `00000000000000000000${suffix.padStart(4, '0')}`,
);
const T0 = 1_700_000_000;

type Step =
  | { kind: 'visitor'; contact: number; browser: string; country: string | null }
  | {
      kind: 'create';
      contact: number;
      role: 'lead' | 'user';
      name: string;
      email: string | null;
      plan: string | null;
      score: number | null;
    }
  | {
      kind: 'update';
      contact: number;
      name: string | null;
      email: string | null;
      plan: string | null | undefined;
      vip: boolean | null | undefined;
      /** `null`: the API's "clear" for a flag. */
      unsubscribed: boolean | null | undefined;
      signedUpDaysAgo: number | undefined;
      toUser: boolean;
    }
  | { kind: 'seen'; contact: number; at: number; browser: string; country: string }
  | { kind: 'archive'; contact: number; archived: boolean }
  | { kind: 'merge'; from: number; into: number }
  | { kind: 'delete'; contact: number }
  | { kind: 'wait'; hours: number };

// Small value sets, so contacts share values and counts go above one.
const contactIndex = fc.integer({ min: 0, max: IDS.length - 1 });
const name = fc.constantFrom('Ada', 'Bob', 'Cy', '');
const email = fc.option(fc.constantFrom('a@x.io', 'b@x.io', 'c@Y.com'));
const browser = fc.constantFrom('firefox', 'chrome');
const country = fc.constantFrom('France', 'Peru');
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('visitor' as const),
    contact: contactIndex,
    browser,
    country: fc.option(country),
  }),
  fc.record({
    kind: fc.constant('create' as const),
    contact: contactIndex,
    role: fc.constantFrom('lead' as const, 'user' as const),
    name,
    email,
    plan: fc.option(fc.constantFrom('free', 'pro')),
    score: fc.option(fc.integer({ min: 1, max: 3 })),
  }),
  fc.record({
    kind: fc.constant('update' as const),
    contact: contactIndex,
    name: fc.option(name),
    email,
    plan: fc.option(fc.option(fc.constantFrom('free', 'pro', 'team')), { nil: undefined }),
    vip: fc.option(fc.option(fc.boolean()), { nil: undefined }),
    unsubscribed: fc.option(fc.oneof(fc.boolean(), fc.constant(null)), { nil: undefined }),
    signedUpDaysAgo: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    toUser: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('seen' as const),
    contact: contactIndex,
    at: fc.integer({ min: -3 * SECONDS_PER_DAY, max: 0 }),
    browser,
    country,
  }),
  fc.record({
    kind: fc.constant('archive' as const),
    contact: contactIndex,
    archived: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('merge' as const), from: contactIndex, into: contactIndex }),
  fc.record({ kind: fc.constant('delete' as const), contact: contactIndex }),
  fc.record({ kind: fc.constant('wait' as const), hours: fc.integer({ min: 1, max: 40 }) }),
);

function commandFor(current: Step, now: number): ContactCommand | undefined {
  const ref = (index: number) => ({ contactId: IDS[index]!, workspaceId: WORKSPACE });
  switch (current.kind) {
    case 'visitor':
      return {
        type: 'RegisterVisitor',
        data: {
          ...ref(current.contact),
          context: {
            browser: current.browser,
            location: { country: current.country, region: null, city: null },
          },
        },
        now,
      };
    case 'create':
      return {
        type: 'CreateContact',
        data: {
          ...ref(current.contact),
          role: current.role,
          attributes: {
            name: current.name,
            ...(current.email ? { email: current.email } : {}),
            custom_attributes: {
              ...(current.plan ? { plan: current.plan } : {}),
              ...(current.score ? { score: current.score } : {}),
            },
          },
        },
        now,
      };
    case 'update':
      return {
        type: 'UpdateContact',
        data: {
          ...ref(current.contact),
          attributes: {
            ...(current.name !== null ? { name: current.name } : {}),
            ...(current.email !== null ? { email: current.email } : {}),
            ...(current.unsubscribed !== undefined
              ? { unsubscribed_from_emails: current.unsubscribed as boolean }
              : {}),
            ...(current.signedUpDaysAgo !== undefined
              ? { signed_up_at: now - current.signedUpDaysAgo * SECONDS_PER_DAY }
              : {}),
            custom_attributes: {
              ...(current.plan !== undefined ? { plan: current.plan } : {}),
              ...(current.vip !== undefined ? { vip: current.vip } : {}),
            },
          },
          ...(current.toUser ? { role: 'user' as const } : {}),
        },
        now,
      };
    case 'seen':
      return {
        type: 'RecordSeen',
        data: {
          ...ref(current.contact),
          occurredAt: now + current.at,
          context: {
            browser: current.browser,
            location: { country: current.country, region: 'R', city: null },
          },
        },
        now,
      };
    case 'archive':
      return {
        type: current.archived ? 'ArchiveContact' : 'UnarchiveContact',
        data: ref(current.contact),
        now,
      };
    case 'merge':
      return { type: 'MergeInto', data: { ...ref(current.from), into: IDS[current.into]! }, now };
    case 'delete':
      return { type: 'DeleteContact', data: ref(current.contact), now };
    case 'wait':
      return undefined;
  }
}

/** One value count, comparable across both sides. */
type Count = readonly [attribute: string, value: string, count: number];

const STRING_COLUMNS: Readonly<Record<string, string>> = {
  role: 'role',
  name: 'name',
  email: 'email',
  email_domain: 'email_domain',
  phone: 'phone',
  external_id: 'external_id',
  owner_id: 'owner_id',
  browser: 'browser',
  os: 'os',
  language_override: 'language_override',
  'location.country': 'location_country',
  'location.region': 'location_region',
  'location.city': 'location_city',
};
const FLAG_COLUMNS = ['unsubscribed_from_emails', 'has_hard_bounced', 'marked_email_as_spam'];
const DATE_COLUMNS = [
  'created_at',
  'updated_at',
  'signed_up_at',
  'last_seen_at',
  'last_replied_at',
  'last_contacted_at',
];

/**
 * The oracle: value counts by `GROUP BY` over the contacts read model's searchable contacts
 * (live leads and users, archived included), dates by UTC day.
 */
async function groupByOverContacts(
  db: Kysely<ContactsReadModel>,
  dialect: ReadStoreDialect,
): Promise<Count[]> {
  const counts: Count[] = [];
  const searchable = sql`workspace_id = ${WORKSPACE} AND status = 'live' AND role IN ('lead', 'user')`;
  const group = async (
    attribute: string,
    expression: RawBuilder<unknown>,
    kind: 'string' | 'flag' | 'date',
  ) => {
    const { rows } = await sql<{ value: string | number; count: string | number }>`
      SELECT ${expression} AS value, COUNT(*) AS count FROM contacts
      WHERE ${searchable} AND ${expression} IS NOT NULL GROUP BY ${expression}`.execute(db);
    for (const row of rows) {
      const value =
        kind === 'flag' ? Number(row.value) === 1 : kind === 'date' ? Number(row.value) : row.value;
      counts.push([attribute, JSON.stringify(value), Number(row.count)]);
    }
  };
  for (const [attribute, column] of Object.entries(STRING_COLUMNS))
    await group(attribute, sql.ref(column), 'string');
  for (const column of FLAG_COLUMNS) await group(column, sql.ref(column), 'flag');
  for (const column of DATE_COLUMNS)
    await group(
      column,
      sql`(${sql.ref(column)} / ${sql.lit(SECONDS_PER_DAY)}) * ${sql.lit(SECONDS_PER_DAY)}`,
      'date',
    );

  if (dialect === 'sqlite') {
    const { rows } = await sql<{
      name: string;
      type: string;
      value: string | number;
      count: number;
    }>`
      SELECT j.key AS name, j.type AS type, j.value AS value, COUNT(*) AS count
      FROM contacts, json_each(contacts.custom_attributes) AS j
      WHERE ${searchable} GROUP BY j.key, j.type, j.value`.execute(db);
    for (const row of rows) {
      const value = row.type === 'true' ? true : row.type === 'false' ? false : row.value;
      counts.push([customAttributeKey(row.name), JSON.stringify(value), Number(row.count)]);
    }
  } else {
    const { rows } = await sql<{ name: string; value: string; count: string }>`
      SELECT j.key AS name, j.value::text AS value, COUNT(*) AS count
      FROM contacts, jsonb_each(contacts.custom_attributes) AS j
      WHERE ${searchable} GROUP BY j.key, j.value::text`.execute(db);
    for (const row of rows) {
      counts.push([
        customAttributeKey(row.name),
        JSON.stringify(JSON.parse(row.value)),
        Number(row.count),
      ]);
    }
  }
  return counts.sort(byTuple);
}

const byTuple = (a: readonly unknown[], b: readonly unknown[]): number =>
  JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0;

async function snapshot(db: Kysely<AttributeValuesReadModel>) {
  const values = await db
    .selectFrom('contacts_attribute_values')
    .selectAll()
    .orderBy('attribute')
    .orderBy('value')
    .execute();
  const totals = await db
    .selectFrom('contacts_attribute_values_totals')
    .selectAll()
    .orderBy('attribute')
    .execute();
  return { values, totals };
}

describeOnReadStores('attribute value counts of the contacts projection', (dialect) => {
  let target: TestReadStore;
  let contactsDb: Kysely<ContactsReadModel>;
  let valuesDb: Kysely<AttributeValuesReadModel>;

  beforeAll(async () => {
    target = await openTestReadStore(dialect);
    contactsDb = target.store.db as Kysely<ContactsReadModel>;
    valuesDb = target.store.db as Kysely<AttributeValuesReadModel>;
  });
  afterAll(() => target.dispose());

  const recreateTables = () => resetProjectionTables(target.store, contactsProjection);

  it('counts what a GROUP BY over the contacts read model counts, whatever the batches (a rebuild writes the same rows), and applying twice changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        async (steps, batchSize) => {
          const store = SqliteEventStore.open({ file: ':memory:' });
          const clock = new ManualClock(T0 * 1000);
          try {
            await recreateTables();
            for (const current of steps) {
              clock.advance(current.kind === 'wait' ? current.hours * 3_600_000 : 1000);
              const command = commandFor(current, Math.floor(clock.now() / 1000));
              if (!command) continue;
              try {
                await handleCommand(
                  store,
                  contactStreamId(WORKSPACE, command.data.contactId),
                  contactDecider,
                  command,
                  { metadata: { workspaceId: WORKSPACE, occurredAt: clock.now() } },
                );
                if (command.type === 'MergeInto')
                  await completeMerge(
                    store,
                    clock,
                    WORKSPACE,
                    command.data.contactId,
                    command.data.into,
                  );
              } catch (error) {
                if (!(error instanceof ContactDomainError)) throw error;
              }
            }
            const all = await collect(store.readAll());
            // The projection sees only its own event types, as the runner's filter gives them.
            const events: RecordedEvent[] = all.filter((event) =>
              contactsProjection.eventTypes.includes(event.type),
            );
            const applyInBatches = async (size: number) => {
              for (let index = 0; index < events.length; index += size) {
                await target.store.db
                  .transaction()
                  .execute((tx) =>
                    contactsProjection.apply(events.slice(index, index + size), tx, (name) => name),
                  );
              }
            };
            await applyInBatches(events.length);
            const inOneBatch = await snapshot(valuesDb);
            await recreateTables();
            await applyInBatches(batchSize);
            const once = await snapshot(valuesDb);
            expect(once).toEqual(inOneBatch);
            await applyInBatches(batchSize);
            expect(await snapshot(valuesDb)).toEqual(once);

            const expected = await groupByOverContacts(contactsDb, dialect);
            const actual = once.values
              .map((row): Count => [row.attribute, row.value, Number(row.count)])
              .sort(byTuple);
            expect(actual).toEqual(expected);

            const expectedTotals = new Map<string, { contacts: number; values: number }>();
            for (const [attribute, , count] of expected) {
              const total = expectedTotals.get(attribute) ?? { contacts: 0, values: 0 };
              expectedTotals.set(attribute, {
                contacts: total.contacts + count,
                values: total.values + 1,
              });
            }
            const actualTotals = new Map(
              once.totals.map((row) => [
                row.attribute,
                { contacts: Number(row.contact_count), values: Number(row.value_count) },
              ]),
            );
            expect(actualTotals).toEqual(expectedTotals);
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: dialect === 'postgres' ? 25 : 60 },
    );
  });

  it('drops, on upgrade, the zero totals that builds before kept for attributes nobody holds', async () => {
    await recreateTables();
    await valuesDb
      .insertInto('contacts_attribute_values_totals')
      .values([
        { workspace_id: WORKSPACE, attribute: 'name', contact_count: 2, value_count: 1 },
        {
          workspace_id: WORKSPACE,
          attribute: 'custom_attributes.plan',
          contact_count: 0,
          value_count: 0,
        },
      ])
      .execute();
    const migration = contactsProjection.migrations.find(
      (candidate) => candidate.name === '005_no_totals_of_unheld_attributes',
    )!;
    await migration.up(contactsDb, (name) => name);
    const { totals } = await snapshot(valuesDb);
    expect(totals.map((row) => [row.attribute, Number(row.contact_count)])).toEqual([['name', 2]]);
  });
});

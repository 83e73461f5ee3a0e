import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type SqlBool } from 'kysely';
import type { ContactsTable } from '../../projections/contacts/contacts.table';
import { InvalidSearchCursor } from '../../src/contacts/search/contact-search.errors';
import {
  matchesSearchQuery,
  searchFieldValue,
  type EvaluationContext,
} from '../../src/contacts/search/contact-search.evaluate';
import {
  resolveSearchField,
  STANDARD_SEARCH_FIELDS,
  type SearchField,
} from '../../src/contacts/search/contact-search.fields';
import { createContactSearchIndexes } from '../../src/contacts/search/contact-search.indexes';
import {
  MAX_LIST_VALUES,
  MAX_QUERY_VALUES,
  operatorsFor,
  parseContactSearchRequest,
  parseSearchQuery,
  type SearchParseOptions,
} from '../../src/contacts/search/contact-search.parse';
import type { SearchNode } from '../../src/contacts/search/contact-search.query';
import {
  compileSearchQuery,
  searchableContacts,
  type SearchDialect,
  type SegmentMembershipSql,
} from '../../src/contacts/search/contact-search.sql';
import { searchContacts, type ContactSearchPage } from '../../src/contacts/search/search-contacts';
import {
  contactGenerator,
  createContactsTable,
  DAY_ANCHORS,
  insertContacts,
  SEARCH_TEST_ATTRIBUTES,
  seededRandom,
} from '../support/contact-search-fixtures';
import {
  describeOnReadStores,
  openTestReadStore,
  type TestReadStore,
} from '../support/read-store-targets';

const WORKSPACE = 'ws_search';
const OTHER_WORKSPACE = 'ws_other';
const SEED = 20240310;
const TIME_ZONES = ['UTC', 'America/New_York', 'Asia/Kolkata'] as const;
const NOW = (DAY_ANCHORS[0] ?? 0) + 3 * 86_400 + 1234;

const parseOptions: SearchParseOptions = {
  customAttributeType: (name) => SEARCH_TEST_ATTRIBUTES[name],
  allowRuleOperators: true,
};

const generator = contactGenerator(SEED, WORKSPACE);
const contacts: ContactsTable[] = [
  ...Array.from({ length: 400 }, () => generator.next()),
  // An owner_id of more digits than read as a number exactly, stored before owner_id was checked.
  { ...generator.next(), status: 'live', role: 'user', archived: 0, owner_id: '9'.repeat(16) },
];
const strangers = contactGenerator(SEED + 1, OTHER_WORKSPACE);
const otherWorkspace: ContactsTable[] = Array.from({ length: 60 }, () => strangers.next());
const searchable = contacts.filter(
  (c) => c.status === 'live' && (c.role === 'lead' || c.role === 'user'),
);

/** Segment membership for the hook test: every third searchable contact is in `seg_a`, every fifth in `seg_b`. */
const memberships: ReadonlyArray<{ segment_id: string; contact_id: string }> = searchable.flatMap(
  (c, i) => [
    ...(i % 3 === 0 ? [{ segment_id: 'seg_a', contact_id: c.id }] : []),
    ...(i % 5 === 0 ? [{ segment_id: 'seg_b', contact_id: c.id }] : []),
  ],
);

function valuesOf(field: SearchField): unknown[] {
  switch (field.type) {
    case 'boolean':
      return [true, false];
    case 'integer':
      return [0, 1, 5, -3, 1000];
    case 'float':
      return [0, 0.1, 1.5, -0.75, 99.99, 3];
    case 'date':
      return [
        DAY_ANCHORS[0],
        (DAY_ANCHORS[0] ?? 0) - 1,
        (DAY_ANCHORS[1] ?? 0) + 7200,
        DAY_ANCHORS[3],
        DAY_ANCHORS[4],
      ];
    case 'string': {
      const seen = new Set<string>();
      for (const c of contacts) {
        const value = observed(c, field);
        if (typeof value === 'string' && seen.size < 5) seen.add(value);
      }
      const first = [...seen][0] ?? 'x';
      return [...seen, first.toUpperCase(), first.toLowerCase(), '%', '_', 'a_b', ''];
    }
  }
}

function observed(contact: ContactsTable, field: SearchField): unknown {
  if (field.kind === 'standard') return contact[field.column];
  if (field.kind === 'custom')
    return (JSON.parse(contact.custom_attributes) as Record<string, unknown>)[field.attribute];
  return undefined;
}

/** Pieces of the values a field holds (so `~ ^ $` find something), plus LIKE wildcards and case variants. */
function textParts(field: SearchField): string[] {
  const parts = new Set(['%', '_', '\\', 'a_b', 'ADA', 'É', '']);
  for (const c of contacts.slice(0, 40)) {
    const value = observed(c, field);
    if (typeof value === 'string' && value.length > 2) {
      parts.add(value.slice(0, 2));
      parts.add(value.slice(-3).toUpperCase());
      parts.add(value.slice(1, 3));
    }
  }
  return [...parts].slice(0, 16);
}

/** Every (field × operator) with a handful of values each, rule operators included. */
function matrixCases(): Array<{ title: string; queries: unknown[]; dates: boolean }> {
  const fields: string[] = [
    ...STANDARD_SEARCH_FIELDS.keys(),
    ...Object.keys(SEARCH_TEST_ATTRIBUTES).map((name) => `custom_attributes.${name}`),
    'segment_id',
  ];
  const cases: Array<{ title: string; queries: unknown[]; dates: boolean }> = [];
  for (const name of fields) {
    const field = resolveSearchField(name, parseOptions.customAttributeType, 'query.field');
    if (!field) throw new Error(`no field ${name}`);
    for (const operator of operatorsFor(field, parseOptions)) {
      const values = field.kind === 'segment' ? ['seg_a', 'seg_b', 'seg_none'] : valuesOf(field);
      let queries: unknown[];
      switch (operator) {
        case 'exists':
        case 'not_exists':
          queries = [{ field: name, operator }];
          break;
        case 'has_done':
        case 'has_not_done':
          // Only on `event`, which search lacks; the segment membership property test covers them.
          queries = [];
          break;
        case 'less_than_days_ago':
        case 'more_than_days_ago':
          queries = [0, 1, 3, 4, 90].map((days) => ({ field: name, operator, value: days }));
          break;
        case 'IN':
        case 'NIN':
          queries = [values.slice(0, 1), values.slice(1, 4), values].map((value) => ({
            field: name,
            operator,
            value,
          }));
          break;
        case '~':
        case '!~':
        case '^':
        case '$':
          queries = textParts(field).map((value) => ({ field: name, operator, value }));
          break;
        case '=':
        case '!=':
          queries = [...values, ...(field.kind === 'segment' ? [] : [null])].map((value) => ({
            field: name,
            operator,
            value,
          }));
          break;
        case '<':
        case '>':
        case '<=':
        case '>=':
          queries = values.map((value) => ({ field: name, operator, value }));
      }
      cases.push({ title: `${name} ${operator}`, queries, dates: field.type === 'date' });
    }
  }
  return cases;
}

/** Random AND/OR trees (a group of groups at most) over the matrix's filters. */
function nestedQueries(count: number): unknown[] {
  const random = seededRandom(SEED + 2);
  const leaves = matrixCases().flatMap((c) => c.queries);
  const pick = (): unknown => leaves[Math.floor(random() * leaves.length)];
  const group = (depth: number): unknown => ({
    operator: random() < 0.5 ? 'AND' : 'OR',
    value: Array.from({ length: 2 + Math.floor(random() * 3) }, () =>
      depth < 2 && random() < 0.4 ? group(depth + 1) : pick(),
    ),
  });
  return Array.from({ length: count }, () => group(1));
}

const segmentHook: SegmentMembershipSql = (segmentIds, { contactId }) =>
  sql<SqlBool>`EXISTS (SELECT 1 FROM search_segment_members m WHERE m.contact_id = ${contactId} AND m.segment_id IN (${sql.join(segmentIds)}))`;
const isSegmentMember = (segmentId: string, contactId: string): boolean =>
  memberships.some((m) => m.segment_id === segmentId && m.contact_id === contactId);

describeOnReadStores('contact search', (dialect: SearchDialect) => {
  let target: TestReadStore;
  let db: Kysely<unknown>;
  const table = `contacts_search_${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    target = await openTestReadStore(dialect);
    db = target.store.db;
    await createContactsTable(db, dialect, table);
    await createContactSearchIndexes(db, table, dialect);
    await createContactSearchIndexes(db, table, dialect);
    await insertContacts(db, table, [...contacts, ...otherWorkspace]);
    await sql`CREATE TABLE search_segment_members (segment_id text NOT NULL, contact_id text NOT NULL)`.execute(
      db,
    );
    for (const row of memberships) {
      await sql`INSERT INTO search_segment_members VALUES (${row.segment_id}, ${row.contact_id})`.execute(
        db,
      );
    }
  });

  afterAll(async () => {
    await target?.dispose();
  });

  async function idsFromSql(
    query: SearchNode,
    timeZone: string,
    withHook: boolean,
  ): Promise<string[]> {
    const condition = compileSearchQuery(query, {
      dialect,
      workspaceId: WORKSPACE,
      timeZone,
      now: NOW,
      ...(withHook ? { segmentMembership: segmentHook } : {}),
    });
    const rows = await searchableContacts(db, table, WORKSPACE)
      .where(condition)
      .select('c.id')
      .execute();
    return rows.map((row) => row.id).sort();
  }

  function idsFromEvaluator(query: SearchNode, timeZone: string, withHook: boolean): string[] {
    const context: EvaluationContext = {
      timeZone,
      now: NOW,
      ...(withHook ? { isSegmentMember } : {}),
    };
    return searchable
      .filter((c) => matchesSearchQuery(c, query, context))
      .map((c) => c.id)
      .sort();
  }

  async function expectSameAsEvaluator(
    raw: unknown,
    timeZone = 'UTC',
    withHook = false,
  ): Promise<number> {
    const query = parseSearchQuery(raw, parseOptions);
    const expected = idsFromEvaluator(query, timeZone, withHook);
    const actual = await idsFromSql(query, timeZone, withHook);
    expect({ query: raw, timeZone, ids: actual }).toEqual({ query: raw, timeZone, ids: expected });
    return expected.length;
  }

  const sizes: number[] = [];

  describe('operator × type matrix agrees with the brute-force evaluation', () => {
    // Plain loops, not `it.each`: the read-store helper counts skipped PostgreSQL cases through `it`.
    for (const { queries, dates, title } of matrixCases()) {
      it(title, async () => {
        const withHook = title.startsWith('segment_id');
        for (const raw of queries) {
          for (const timeZone of dates ? TIME_ZONES : (['UTC'] as const)) {
            sizes.push(await expectSameAsEvaluator(raw, timeZone, false));
            if (withHook) sizes.push(await expectSameAsEvaluator(raw, timeZone, true));
          }
        }
      });
    }

    nestedQueries(60).forEach((query, index) => {
      it(`nested AND/OR query #${index}`, async () => {
        sizes.push(await expectSameAsEvaluator(query, 'America/New_York', true));
      });
    });

    it('exercised the data: most queries select some but not all contacts', () => {
      const partial = sizes.filter((size) => size > 0 && size < searchable.length).length;
      expect(sizes.length).toBeGreaterThan(500);
      expect(partial / sizes.length).toBeGreaterThan(0.6);
    });
  });

  it('answers a query holding the most values allowed, as the evaluation does', async () => {
    const list = <T>(make: (index: number) => T): T[] =>
      Array.from({ length: MAX_LIST_VALUES }, (_, index) => make(index));
    const lists = [
      { field: 'email', operator: 'NIN', value: list((index) => `nobody${index}@example.com`) },
      { field: 'name', operator: 'IN', value: list((index) => `Name ${index}`) },
      { field: 'custom_attributes.plan', operator: 'NIN', value: list((index) => `plan${index}`) },
      { field: 'custom_attributes.score', operator: 'IN', value: list((index) => index / 2) },
    ];
    expect(lists.length * MAX_LIST_VALUES).toBe(MAX_QUERY_VALUES);
    await expectSameAsEvaluator({ operator: 'OR', value: lists }, 'America/New_York');
    await expectSameAsEvaluator({ operator: 'AND', value: lists.slice(1) }, 'UTC');
  });

  it('never returns visitors, merged contacts or another workspace’s contacts', async () => {
    const everything = await idsFromSql(
      parseSearchQuery({ field: 'id', operator: '!=', value: '' }, parseOptions),
      'UTC',
      false,
    );
    expect(everything).toEqual(searchable.map((c) => c.id).sort());
  });

  function request(body: Record<string, unknown>) {
    return parseContactSearchRequest(body, parseOptions);
  }

  async function walk(
    body: Record<string, unknown>,
    between: (page: ContactSearchPage) => Promise<void> = async () => {},
  ): Promise<{ ids: string[]; pages: ContactSearchPage[] }> {
    const ids: string[] = [];
    const pages: ContactSearchPage[] = [];
    let startingAfter: string | undefined;
    for (;;) {
      const pagination = {
        ...(body.pagination as object),
        ...(startingAfter ? { starting_after: startingAfter } : {}),
      };
      const page = await searchContacts(
        { db, dialect, table },
        { workspaceId: WORKSPACE },
        request({ ...body, pagination }),
      );
      pages.push(page);
      ids.push(...page.rows.map((row) => row.id));
      if (!page.pages.next) return { ids, pages };
      expect(page.pages.next.page).toBe(page.pages.page + 1);
      await between(page);
      startingAfter = page.pages.next.starting_after;
    }
  }

  describe('keyset pagination', () => {
    const matchAll = { query: { field: 'role', operator: 'IN', value: ['lead', 'user'] } };

    it('walks every page in sort order with page info', async () => {
      const { ids, pages } = await walk({ ...matchAll, pagination: { per_page: 40 } });
      const expected = [...searchable]
        .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1))
        .map((c) => c.id);
      expect(ids).toEqual(expected);
      expect(pages.map((p) => p.pages.page)).toEqual(pages.map((_, i) => i + 1));
      expect(pages[0]?.total_count).toBe(searchable.length);
      expect(pages[0]?.pages).toMatchObject({
        type: 'pages',
        per_page: 40,
        total_pages: Math.ceil(searchable.length / 40),
      });
      expect(pages.at(-1)?.pages.next).toBeUndefined();
    });

    for (const [field, order] of [
      ['custom_attributes.score', 'ascending'],
      ['signed_up_at', 'descending'],
      ['custom_attributes.vip', 'descending'],
      ['owner_id', 'ascending'],
    ] as const) {
      it(`sorts by ${field} ${order} with NULLs last and ties by id`, async () => {
        const { ids } = await walk({
          ...matchAll,
          sort: { field, order },
          pagination: { per_page: 23 },
        });
        const sortField = resolveSearchField(
          field,
          parseOptions.customAttributeType,
          'sort.field',
        )!;
        const value = (c: ContactsTable): number | null => {
          const v = searchFieldValue(c, sortField);
          return v === null ? null : Number(v);
        };
        const sign = order === 'ascending' ? 1 : -1;
        const expected = [...searchable]
          .sort((a, b) => {
            const va = value(a);
            const vb = value(b);
            if (va === null || vb === null)
              return va === vb ? sign * (a.id < b.id ? -1 : 1) : va === null ? 1 : -1;
            return sign * (va - vb) || sign * (a.id < b.id ? -1 : 1);
          })
          .map((c) => c.id);
        expect(ids).toEqual(expected);
      });
    }

    it('sorts by a string field without losing or repeating rows', async () => {
      const { ids } = await walk({
        ...matchAll,
        sort: { field: 'name', order: 'ascending' },
        pagination: { per_page: 17 },
      });
      expect([...ids].sort()).toEqual(searchable.map((c) => c.id).sort());
    });

    it('sorts strings bytewise, as on SQLite, whatever collation the database defaults to', async () => {
      // A PostgreSQL database created with a language's collation (en_US, as stock images are)
      // orders "alice" before "Bob"; bytewise, "Bob" comes first.
      const collate = (collation: string) =>
        sql`ALTER TABLE ${sql.table(table)} ALTER COLUMN name TYPE text COLLATE ${sql.ref(collation)}`.execute(
          db,
        );
      if (dialect === 'postgres') await collate('en-US-x-icu');
      try {
        const { ids } = await walk({
          ...matchAll,
          sort: { field: 'name', order: 'ascending' },
          pagination: { per_page: 13 },
        });
        const bytewise = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
        const expected = [...searchable]
          .sort((a, b) =>
            a.name === b.name
              ? bytewise(a.id, b.id)
              : a.name === null
                ? 1
                : b.name === null
                  ? -1
                  : bytewise(a.name, b.name),
          )
          .map((c) => c.id);
        expect(ids).toEqual(expected);
      } finally {
        if (dialect === 'postgres') await collate('default');
      }
    });

    it('loses and repeats no contact while contacts are added between pages', async () => {
      const before = (await walk({ ...matchAll, pagination: { per_page: 150 } })).ids;
      const added = contactGenerator(SEED + 3, WORKSPACE);
      let round = 0;
      const { ids } = await walk({ ...matchAll, pagination: { per_page: 25 } }, async (page) => {
        round += 1;
        const last = page.rows.at(-1)!;
        const tie = Number(last.created_at);
        const live = { status: 'live', role: 'user' } as const;
        await insertContacts(db, table, [
          added.next({ ...live, created_at: tie, id: `${last.id}a${round}` }),
          added.next({ ...live, created_at: tie, id: `0${round}` }),
          added.next({ ...live, created_at: tie + 1 }),
          added.next({ ...live, created_at: tie - 1 }),
          added.next({ ...live, created_at: NOW + round }),
          added.next({ ...live, created_at: 0 }),
        ]);
      });
      expect(new Set(ids).size).toBe(ids.length);
      expect(before.filter((id) => !ids.includes(id))).toEqual([]);
      await sql`DELETE FROM ${sql.table(table)} WHERE workspace_id = ${WORKSPACE} AND id NOT IN (${sql.join(contacts.map((c) => c.id))})`.execute(
        db,
      );
    });

    // A first page that holds every match takes its count from the page, without a count query.
    it('gives the same total_count on every page, whether or not the first page holds them all', async () => {
      const chosen = searchable.slice(0, 30).map((contact) => contact.id);
      const someIds = { query: { field: 'id', operator: 'IN', value: chosen } };
      for (const [body, total] of [
        [someIds, chosen.length],
        [matchAll, searchable.length],
      ] as const) {
        for (const perPage of [7, total - 1, total, total + 1, 150].filter((n) => n <= 150)) {
          const { ids, pages } = await walk({ ...body, pagination: { per_page: perPage } });
          expect(ids).toHaveLength(total);
          expect(pages.map((page) => page.total_count)).toEqual(pages.map(() => total));
          expect(pages.map((page) => page.pages.total_pages)).toEqual(
            pages.map(() => Math.ceil(total / perPage)),
          );
        }
      }
    });

    it('counts matches and stops on an empty result', async () => {
      const page = await searchContacts(
        { db, dialect, table },
        { workspaceId: WORKSPACE, timeZone: 'Asia/Kolkata' },
        request({ query: { field: 'email', operator: '=', value: 'nobody@nowhere' } }),
      );
      expect(page).toEqual({
        rows: [],
        total_count: 0,
        pages: { type: 'pages', page: 1, per_page: 50, total_pages: 0 },
      });
    });

    it('refuses a garbled, altered or foreign cursor with parameter_invalid', async () => {
      const first = await searchContacts(
        { db, dialect, table },
        { workspaceId: WORKSPACE },
        request({ ...matchAll, pagination: { per_page: 5 } }),
      );
      const cursor = first.pages.next!.starting_after;
      const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [
        string,
        string,
      ];
      const altered = Buffer.from(
        JSON.stringify([decoded[0].replace(/"p":2/, '"p":9'), decoded[1]]),
      ).toString('base64url');
      const attempts: Array<[string, Record<string, unknown>]> = [
        ['garbage', matchAll],
        [`${cursor.slice(0, -3)}xyz`, matchAll],
        [altered, matchAll],
        [cursor, { ...matchAll, sort: { field: 'created_at', order: 'ascending' } }],
        [cursor, { query: { field: 'role', operator: '=', value: 'user' } }],
      ];
      for (const [startingAfter, body] of attempts) {
        const run = searchContacts(
          { db, dialect, table },
          { workspaceId: WORKSPACE },
          request({ ...body, pagination: { per_page: 5, starting_after: startingAfter } }),
        );
        await expect(run).rejects.toBeInstanceOf(InvalidSearchCursor);
        await expect(run).rejects.toMatchObject({
          code: 'parameter_invalid',
          field: 'pagination.starting_after',
        });
      }
    });
  });
});

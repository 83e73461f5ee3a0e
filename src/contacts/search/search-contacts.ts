import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { ContactsTable } from '../../../projections/contacts/contacts.table';
import { decodeSearchCursor, encodeSearchCursor, type SearchCursor } from './contact-search.cursor';
import type { ContactSearchRequest, SearchSort } from './contact-search.query';
import {
  compileSearchQuery,
  searchableCondition,
  searchFieldSql,
  type DataEventSql,
  type SearchDialect,
  type SegmentMembershipSql,
} from './contact-search.sql';
import { assertTimeZone } from './time-zone-days';
import { totalPagesOf } from '../../shared/http/total-pages';

/** Where the contacts read model lives: the read store's Kysely instance and the table's physical name. */
export interface ContactSearchTarget<DB> {
  readonly db: Kysely<DB>;
  readonly dialect: SearchDialect;
  readonly table: string;
}

export interface ContactSearchScope {
  readonly workspaceId: string;
  /** IANA name; defaults to `UTC`. */
  readonly timeZone?: string;
  /** Unix seconds; only segment rules' relative operators read it. */
  readonly now?: number;
  readonly segmentMembership?: SegmentMembershipSql;
  /** Segment rules' `has_done` / `has_not_done`. */
  readonly dataEvents?: DataEventSql;
  /** Past instants: leads merged since count too (see `searchableCondition`). */
  readonly includeMerged?: boolean;
  /**
   * What besides the query decides the rows (a segment's members as of an instant): a cursor
   * continues only the listing that gave it.
   */
  readonly listing?: string;
}

/** api.md's `pages` object. */
export interface SearchPages {
  readonly type: 'pages';
  readonly page: number;
  readonly per_page: number;
  readonly total_pages: number;
  readonly next?: { readonly page: number; readonly starting_after: string };
}

export interface ContactSearchPage {
  readonly rows: readonly ContactsTable[];
  readonly total_count: number;
  readonly pages: SearchPages;
}

/** The list response of api.md, with each row mapped to the API's contact object. */
export function searchListResponse<T>(
  page: ContactSearchPage,
  toContact: (row: ContactsTable) => T,
): { type: 'list'; data: T[]; total_count: number; pages: SearchPages } {
  return {
    type: 'list',
    data: page.rows.map(toContact),
    total_count: page.total_count,
    pages: page.pages,
  };
}

const SORT_VALUE = 'search_sort_value';

/**
 * Runs a validated search: one page of rows in sort order (ties by id) and the page info.
 * Keyset pagination: the cursor carries the last row's sort value and id, so contacts added
 * between pages never shift the rows still to come. Throws `InvalidSearchCursor` for a cursor
 * this query and sort did not produce.
 */
export async function searchContacts<DB>(
  target: ContactSearchTarget<DB>,
  scope: ContactSearchScope,
  request: ContactSearchRequest,
): Promise<ContactSearchPage> {
  const timeZone = scope.timeZone ?? 'UTC';
  assertTimeZone(timeZone);
  const { query, sort, pagination } = request;
  const cursor =
    pagination.startingAfter === undefined
      ? undefined
      : decodeSearchCursor(pagination.startingAfter, query, sort, cursorScopeOf(scope));
  const condition = compileSearchQuery(query, {
    dialect: target.dialect,
    workspaceId: scope.workspaceId,
    timeZone,
    ...(scope.now !== undefined ? { now: scope.now } : {}),
    ...(scope.segmentMembership ? { segmentMembership: scope.segmentMembership } : {}),
    ...(scope.dataEvents ? { dataEvents: scope.dataEvents } : {}),
  });
  const sortValue = bytewiseSortValue(
    searchFieldSql(sort.field, target.dialect),
    sort,
    target.dialect,
  );
  const nullable = sort.field.kind !== 'standard' || sort.field.nullable;
  const direction = sort.order === 'descending' ? sql.raw('DESC') : sql.raw('ASC');

  // Written as SQL text rather than through Kysely's query builder, whose building and compiling
  // cost more than SQLite takes to answer an indexed search.
  const from = sql`${sql.table(target.table)} AS c`;
  const matching = sql<SqlBool>`${searchableCondition(scope.workspaceId, scope.includeMerged)} AND (${condition})`;
  // A standard sort field is a column of the row itself, unless it sorts as a number read from
  // its text; any other is selected beside it.
  const sortColumn =
    sort.field.kind === 'standard' && sort.field.storedAsDigits !== true
      ? sort.field.column
      : undefined;
  const selection =
    sortColumn === undefined ? sql`c.*, ${sortValue} AS ${sql.ref(SORT_VALUE)}` : sql`c.*`;
  const order = nullable
    ? sql`${sortValue} ${direction} NULLS LAST, c.id ${direction}`
    : sql`${sortValue} ${direction}, c.id ${direction}`;
  const pageCondition = cursor
    ? sql<SqlBool>`${matching} AND ${after(sortValue, sort, cursor, nullable)}`
    : matching;
  const page = cursor?.page ?? pagination.page ?? 1;
  const limit = literalLimit(pagination.perPage + 1);
  const skipped = cursor === undefined && page > 1 ? (page - 1) * pagination.perPage : 0;
  // Bound, not literal: numbered pages are many, and each literal would be a statement cached.
  const offset = skipped > 0 ? sql` OFFSET ${skipped}` : sql``;
  const pageQuery = sql<SortedRow>`SELECT ${selection} FROM ${from} WHERE ${pageCondition} ORDER BY ${order} LIMIT ${limit}${offset}`;
  const { rows: fetched } = await pageQuery.execute(target.db);
  const rows = fetched.slice(0, pagination.perPage);
  // The first page holds every match when the query found no row beyond it: then it is the count.
  const countQuery = sql<{
    n: number | string;
  }>`SELECT count(*) AS n FROM ${from} WHERE ${matching}`;
  const totalCount =
    page === 1 && fetched.length <= pagination.perPage
      ? fetched.length
      : Number((await countQuery.execute(target.db)).rows[0]!.n);
  const last = rows[rows.length - 1];
  const next =
    fetched.length > pagination.perPage && last
      ? {
          page: page + 1,
          starting_after: encodeSearchCursor(
            {
              page: page + 1,
              value: normaliseSortValue(
                sortColumn === undefined ? last[SORT_VALUE] : last[sortColumn],
                sort,
              ),
              id: last.id,
            },
            query,
            sort,
            cursorScopeOf(scope),
          ),
        }
      : undefined;
  return {
    rows: sortColumn === undefined ? rows.map(({ [SORT_VALUE]: _sortValue, ...row }) => row) : rows,
    total_count: totalCount,
    pages: {
      type: 'pages',
      page,
      per_page: pagination.perPage,
      // A numbered page past the last is empty, and counts no pages of its own.
      total_pages:
        cursor === undefined
          ? Math.ceil(totalCount / pagination.perPage)
          : totalPagesOf(page, pagination.perPage, totalCount),
      ...(next ? { next } : {}),
    },
  };
}

type SortedRow = ContactsTable & { readonly [SORT_VALUE]?: unknown };

/**
 * LIMIT as a literal, not a bound parameter: better-sqlite3's SQLite re-plans a statement whose
 * LIMIT is a parameter every time it is bound (measured: a one-row search page 30 µs with
 * `LIMIT ?`, 12 µs with `LIMIT 51`). Page sizes are few, so the statement cache keeps each.
 */
function literalLimit(limit: number): RawBuilder<number> {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`Invalid page limit ${limit}`);
  return sql.lit(limit);
}

/**
 * Text sorts bytewise on both dialects: SQLite's default, and on PostgreSQL whatever collation
 * the database was created with (a language's collation would order "alice" before "Bob"). The
 * cursor condition compares through the same expression, so pages follow the same order.
 */
function bytewiseSortValue(
  value: RawBuilder<unknown>,
  sort: SearchSort,
  dialect: SearchDialect,
): RawBuilder<unknown> {
  return dialect === 'postgres' && sort.field.type === 'string'
    ? sql`(${value} COLLATE "C")`
    : value;
}

const cursorScopeOf = (scope: ContactSearchScope): string =>
  JSON.stringify([scope.workspaceId, scope.listing ?? null]);

/** Rows strictly after the cursor in sort order; NULL sort values come last in both orders. */
function after(
  sortValue: RawBuilder<unknown>,
  sort: SearchSort,
  cursor: SearchCursor,
  nullable: boolean,
): RawBuilder<SqlBool> {
  const beyond = sql.raw(sort.order === 'descending' ? '<' : '>');
  if (cursor.value === null)
    return sql<SqlBool>`(${sortValue} IS NULL AND c.id ${beyond} ${cursor.id})`;
  const further = sql<SqlBool>`(${sortValue}, c.id) ${beyond} (${cursor.value}, ${cursor.id})`;
  return nullable ? sql<SqlBool>`(${further} OR ${sortValue} IS NULL)` : further;
}

/** PostgreSQL returns `bigint` and `numeric` as text; cursors carry numbers. */
function normaliseSortValue(value: unknown, sort: SearchSort): string | number | null {
  if (value === null || value === undefined) return null;
  if (sort.field.type !== 'string') return Number(value);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

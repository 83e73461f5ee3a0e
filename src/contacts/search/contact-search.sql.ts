import {
  sql,
  type Expression,
  type Kysely,
  type RawBuilder,
  type SelectQueryBuilder,
  type SqlBool,
} from 'kysely';
import type { ContactsTable } from '../../../projections/contacts/contacts.table';
import { OWNER_ID_MAX_DIGITS } from '../domain/contact.attributes';
import type { SearchField } from './contact-search.fields';
import type {
  DataEventFilter,
  SearchFilter,
  SearchNode,
  SearchScalar,
} from './contact-search.query';
import { foldCase, relativeThreshold } from './contact-search.semantics';
import { requireNow } from './contact-search.evaluate';
import { dayContaining } from './time-zone-days';

export type SearchDialect = 'sqlite' | 'postgres';

/** Queries see the contacts table under the alias `c`, whatever its physical name. */
export interface ContactSearchTables {
  c: ContactsTable;
}

/**
 * Compiles `segment_id` filters: an expression true when the contact `contactId` (a reference to
 * `c.id`) is a member of any of `segmentIds`. Provided by the segments capability.
 */
export type SegmentMembershipSql = (
  segmentIds: readonly string[],
  context: {
    readonly contactId: RawBuilder<string>;
    readonly workspaceId: string;
    readonly dialect: SearchDialect;
  },
) => Expression<SqlBool>;

/**
 * Compiles `has_done` filters: an expression true when the contact `contactId` tracked a data
 * event named `name` (with `after`: one whose `created_at` is later). Provided by whoever keeps
 * data events per contact; search has no `event` field.
 */
export type DataEventSql = (
  event: { readonly name: string; readonly after: number | undefined },
  context: {
    readonly contactId: RawBuilder<string>;
    readonly workspaceId: string;
    readonly dialect: SearchDialect;
  },
) => Expression<SqlBool>;

/** Until segments exist, no contact is in any segment. */
export const NO_SEGMENT_MEMBERS: SegmentMembershipSql = () => sql<SqlBool>`1 = 0`;

export interface SqlCompileContext {
  readonly dialect: SearchDialect;
  readonly workspaceId: string;
  /** IANA name of the workspace time zone; date filters match whole days there. */
  readonly timeZone: string;
  /** Unix seconds; required by `less_than_days_ago` / `more_than_days_ago`. */
  readonly now?: number;
  readonly segmentMembership?: SegmentMembershipSql;
  /** Required by `has_done` / `has_not_done`. */
  readonly dataEvents?: DataEventSql;
}

/**
 * The live leads and users of a workspace in `table` (the physical name: the projection runner
 * renames tables per build), aliased `c`. Visitors and merged contacts are never searched.
 */
export function searchableContacts<DB>(
  db: Kysely<DB>,
  table: string,
  workspaceId: string,
): SelectQueryBuilder<ContactSearchTables, 'c', object> {
  const scoped = db as unknown as Kysely<ContactSearchTables>;
  return scoped.selectFrom(`${table} as c` as 'c').where(searchableCondition(workspaceId));
}

/**
 * What `searchableContacts` selects, as a condition over `c`. `includeMerged`: also the leads
 * merged away since, with the columns they had when merged (a question about a past instant,
 * when they were still contacts; deleted contacts have no row left to show).
 */
export function searchableCondition(
  workspaceId: string,
  includeMerged = false,
): RawBuilder<SqlBool> {
  const status = includeMerged ? sql`c.status IN ('live', 'merged')` : sql`c.status = 'live'`;
  return sql<SqlBool>`c.workspace_id = ${workspaceId} AND ${status} AND c.role IN ('lead', 'user')`;
}

/** The query as a SQL condition over `c`; both dialects give the results `matchesSearchQuery` gives. */
export function compileSearchQuery(
  query: SearchNode,
  context: SqlCompileContext,
): RawBuilder<SqlBool> {
  if (query.kind === 'group') {
    const parts = query.value.map((node) => compileSearchQuery(node, context));
    return sql<SqlBool>`(${sql.join(parts, sql` ${sql.raw(query.operator)} `)})`;
  }
  return compileFilter(query, context);
}

/**
 * The SQL value of a field on `c`, normalised as the evaluator normalises it: booleans 0/1,
 * a custom attribute whose JSON type does not fit its data type is NULL.
 */
export function searchFieldSql(field: SearchField, dialect: SearchDialect): RawBuilder<unknown> {
  switch (field.kind) {
    case 'segment':
    case 'event':
      return sql`NULL`;
    case 'standard':
      return field.storedAsDigits === true
        ? digitsSql(sql.ref(`c.${field.column}`), dialect)
        : sql.ref(`c.${field.column}`);
    case 'custom':
      return dialect === 'sqlite'
        ? sqliteCustomValue(field.attribute, field.type)
        : postgresCustomValue(field.attribute, field.type);
  }
}

/** `ownerIdNumber` in SQL: the column's digits as a number, or NULL. */
function digitsSql(column: RawBuilder<unknown>, dialect: SearchDialect): RawBuilder<unknown> {
  const digits = sql.lit(OWNER_ID_MAX_DIGITS);
  return dialect === 'sqlite'
    ? sql`(CASE WHEN length(${column}) BETWEEN 1 AND ${digits} AND ${column} NOT GLOB '*[^0-9]*' THEN CAST(${column} AS INTEGER) END)`
    : sql`(CASE WHEN ${column} ~ ${sql.lit(`^[0-9]{1,${OWNER_ID_MAX_DIGITS}}$`)} THEN CAST(${column} AS BIGINT) END)`;
}

function sqliteCustomValue(attribute: string, type: SearchField['type']): RawBuilder<unknown> {
  // Names never contain `"` or `\` (data attribute rules, checked when resolving the field).
  const path = sql.lit(`$."${attribute}"`);
  const kind = sql`json_type(c.custom_attributes, ${path})`;
  const value = sql`json_extract(c.custom_attributes, ${path})`;
  switch (type) {
    case 'string':
      return sql`(CASE WHEN ${kind} = 'text' THEN ${value} END)`;
    case 'boolean':
      return sql`(CASE ${kind} WHEN 'true' THEN 1 WHEN 'false' THEN 0 END)`;
    case 'integer':
    case 'float':
    case 'date':
      return sql`(CASE WHEN ${kind} IN ('integer', 'real') THEN ${value} END)`;
  }
}

function postgresCustomValue(attribute: string, type: SearchField['type']): RawBuilder<unknown> {
  const name = sql.lit(attribute);
  const json = sql`(c.custom_attributes -> ${name})`;
  const text = sql`(c.custom_attributes ->> ${name})`;
  switch (type) {
    case 'string':
      return sql`(CASE WHEN jsonb_typeof(${json}) = 'string' THEN ${text} END)`;
    case 'boolean':
      return sql`(CASE ${json} WHEN 'true'::jsonb THEN 1 WHEN 'false'::jsonb THEN 0 END)`;
    case 'integer':
    case 'float':
    case 'date':
      return sql`(CASE WHEN jsonb_typeof(${json}) = 'number' THEN (${text})::numeric END)`;
  }
}

/** ASCII-only lower case in both dialects (see `contact-search.semantics.ts`). */
function foldSql(value: RawBuilder<unknown>, dialect: SearchDialect): RawBuilder<unknown> {
  return dialect === 'sqlite' ? sql`lower(${value})` : sql`lower(${value} COLLATE "C")`;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

const TRUE = sql<SqlBool>`1 = 1`;
const FALSE = sql<SqlBool>`1 = 0`;

function compileFilter(filter: SearchFilter, context: SqlCompileContext): RawBuilder<SqlBool> {
  if (filter.operator === 'has_done' || filter.operator === 'has_not_done') {
    return compileDataEventFilter(filter, context);
  }
  const field = filter.field;
  if (field.kind === 'segment') return compileSegmentFilter(filter, context);
  const { dialect } = context;
  const column = searchFieldSql(field, dialect);
  const caseless = field.kind === 'standard' && field.caseInsensitive;
  const subject = caseless ? foldSql(column, dialect) : column;
  const bind = (value: SearchScalar): unknown =>
    typeof value === 'boolean'
      ? value
        ? 1
        : 0
      : typeof value === 'string' && caseless
        ? foldCase(value)
        : value;
  const isNull = sql<SqlBool>`${column} IS NULL`;
  const orNull = (condition: RawBuilder<SqlBool>): RawBuilder<SqlBool> =>
    sql<SqlBool>`(${isNull} OR ${condition})`;
  switch (filter.operator) {
    case '=': {
      if (filter.value === null) return isNull;
      if (field.type === 'date') {
        const day = dayContaining(Number(filter.value), context.timeZone);
        return sql<SqlBool>`(${column} >= ${day.start} AND ${column} < ${day.end})`;
      }
      return sql<SqlBool>`${subject} = ${bind(filter.value)}`;
    }
    case '!=':
      if (filter.value === null) return sql<SqlBool>`${column} IS NOT NULL`;
      return orNull(sql<SqlBool>`${subject} <> ${bind(filter.value)}`);
    case 'IN':
      return sql<SqlBool>`${subject} IN (${sql.join(filter.value.map(bind))})`;
    case 'NIN':
      return orNull(sql<SqlBool>`${subject} NOT IN (${sql.join(filter.value.map(bind))})`);
    case '<':
    case '>':
    case '<=':
    case '>=':
      return field.type === 'date'
        ? compileDayRange(column, filter.operator, filter.value, context.timeZone)
        : sql<SqlBool>`${column} ${sql.raw(filter.operator)} ${filter.value}`;
    case '~':
    case '!~':
    case '^':
    case '$': {
      const text = escapeLike(foldCase(filter.value));
      const pattern =
        filter.operator === '^' ? `${text}%` : filter.operator === '$' ? `%${text}` : `%${text}%`;
      const like = sql<SqlBool>`${foldSql(column, dialect)} LIKE ${pattern} ESCAPE '\\'`;
      return filter.operator === '!~' ? orNull(sql<SqlBool>`NOT (${like})`) : like;
    }
    case 'less_than_days_ago':
      return sql<SqlBool>`${column} > ${relativeThreshold(requireNow(context), filter.value)}`;
    case 'more_than_days_ago':
      return sql<SqlBool>`${column} < ${relativeThreshold(requireNow(context), filter.value)}`;
    case 'exists':
      return sql<SqlBool>`${column} IS NOT NULL`;
    case 'not_exists':
      return isNull;
  }
}

/** Intercom truncates the value to its day: `<` is before that day, `>` from the next one. */
function compileDayRange(
  column: RawBuilder<unknown>,
  operator: '<' | '>' | '<=' | '>=',
  value: number,
  timeZone: string,
): RawBuilder<SqlBool> {
  const day = dayContaining(value, timeZone);
  switch (operator) {
    case '<':
      return sql<SqlBool>`${column} < ${day.start}`;
    case '>':
      return sql<SqlBool>`${column} >= ${day.end}`;
    case '<=':
      return sql<SqlBool>`${column} < ${day.end}`;
    case '>=':
      return sql<SqlBool>`${column} >= ${day.start}`;
  }
}

/** `matchesDataEventFilter` in SQL. */
function compileDataEventFilter(
  filter: DataEventFilter,
  context: SqlCompileContext,
): RawBuilder<SqlBool> {
  if (!context.dataEvents) throw new Error(`${filter.operator} needs the contacts' data events`);
  const after =
    filter.withinDays === undefined
      ? undefined
      : relativeThreshold(requireNow(context), filter.withinDays);
  const done = context.dataEvents(
    { name: filter.value, after },
    {
      contactId: sql.ref<string>('c.id'),
      workspaceId: context.workspaceId,
      dialect: context.dialect,
    },
  );
  return filter.operator === 'has_done' ? sql<SqlBool>`(${done})` : sql<SqlBool>`NOT (${done})`;
}

function compileSegmentFilter(
  filter: SearchFilter,
  context: SqlCompileContext,
): RawBuilder<SqlBool> {
  const membership = context.segmentMembership ?? NO_SEGMENT_MEMBERS;
  const member = (ids: readonly SearchScalar[]): RawBuilder<SqlBool> => {
    if (ids.length === 0) return FALSE;
    const condition = membership(ids.map(String), {
      contactId: sql.ref<string>('c.id'),
      workspaceId: context.workspaceId,
      dialect: context.dialect,
    });
    return sql<SqlBool>`(${condition})`;
  };
  switch (filter.operator) {
    case '=':
      return filter.value === null ? FALSE : member([filter.value]);
    case '!=':
      return filter.value === null ? TRUE : sql<SqlBool>`NOT ${member([filter.value])}`;
    case 'IN':
      return member(filter.value);
    case 'NIN':
      return sql<SqlBool>`NOT ${member(filter.value)}`;
    case '<':
    case '>':
    case '<=':
    case '>=':
    case '~':
    case '!~':
    case '^':
    case '$':
    case 'less_than_days_ago':
    case 'more_than_days_ago':
    case 'exists':
    case 'not_exists':
    case 'has_done':
    case 'has_not_done':
      throw new Error(`segment_id does not support ${filter.operator}`);
  }
}

import type { SearchField } from './contact-search.fields';

/** The operators of api.md's search language. */
export type SearchOperator =
  '=' | '!=' | 'IN' | 'NIN' | '<' | '>' | '<=' | '>=' | '~' | '!~' | '^' | '$';

/** Operators only segment rules accept (segments.md); parsed with `allowRuleOperators`. */
export type RuleOperator =
  | 'less_than_days_ago'
  | 'more_than_days_ago'
  | 'exists'
  | 'not_exists'
  | 'has_done'
  | 'has_not_done';

export type FilterOperator = SearchOperator | RuleOperator;

/** A value as the query states it: strings for string fields, numbers for numbers and dates (unix seconds). */
export type SearchScalar = string | number | boolean;

interface FilterBase {
  readonly kind: 'filter';
  readonly field: SearchField;
}

/** `=` / `!=`; a `null` value means "has no value" / "has a value". */
export interface EqualityFilter extends FilterBase {
  readonly operator: '=' | '!=';
  readonly value: SearchScalar | null;
}

export interface MembershipFilter extends FilterBase {
  readonly operator: 'IN' | 'NIN';
  readonly value: readonly SearchScalar[];
}

/** Numbers compare by value; dates by whole day in the workspace time zone (only `<` and `>`). */
export interface RangeFilter extends FilterBase {
  readonly operator: '<' | '>' | '<=' | '>=';
  readonly value: number;
}

/** Contains, does not contain, starts with, ends with: case-insensitive (ASCII letters). */
export interface TextFilter extends FilterBase {
  readonly operator: '~' | '!~' | '^' | '$';
  readonly value: string;
}

/** `now - field < N days` / `> N days`, in exact seconds (segments.md). */
export interface RelativeDateFilter extends FilterBase {
  readonly operator: 'less_than_days_ago' | 'more_than_days_ago';
  readonly value: number;
}

export interface PresenceFilter extends FilterBase {
  readonly operator: 'exists' | 'not_exists';
}

/**
 * Whether the contact tracked a data event named `value` (data events of contacts merged into it
 * included), with `withinDays`: one whose `created_at` is after `now - withinDays·86400`.
 */
export interface DataEventFilter extends FilterBase {
  readonly operator: 'has_done' | 'has_not_done';
  readonly value: string;
  readonly withinDays?: number;
}

export type SearchFilter =
  | DataEventFilter
  | EqualityFilter
  | MembershipFilter
  | RangeFilter
  | TextFilter
  | RelativeDateFilter
  | PresenceFilter;

export interface SearchGroup {
  readonly kind: 'group';
  readonly operator: 'AND' | 'OR';
  readonly value: readonly SearchNode[];
}

/** A validated query: every field exists and every operator and value fits its field's type. */
export type SearchNode = SearchFilter | SearchGroup;

export type SortOrder = 'ascending' | 'descending';

export interface SearchSort {
  readonly field: SearchField;
  readonly order: SortOrder;
}

export interface SearchPagination {
  readonly perPage: number;
  /** The opaque cursor as received; decoded against the sort when the search runs. */
  readonly startingAfter: string | undefined;
  /**
   * A numbered page to start at, without a cursor (`GET /contacts?page=`): the rows before it are
   * skipped. A cursor carries its own page number and wins.
   */
  readonly page?: number;
}

/** A validated `POST /contacts/search` body. */
export interface ContactSearchRequest {
  readonly query: SearchNode;
  readonly sort: SearchSort;
  readonly pagination: SearchPagination;
}

/** Every field a query reads (segments use it to tell which changes can affect membership). */
export function fieldsOf(node: SearchNode): readonly SearchField[] {
  return node.kind === 'filter' ? [node.field] : node.value.flatMap(fieldsOf);
}

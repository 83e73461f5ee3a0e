import {
  FilterOperatorRequired,
  InvalidSearchValue,
  InvalidSortOrder,
  MalformedSearchRequest,
  OperatorNotAllowed,
  SearchParameterRequired,
  SearchQueryTooDeep,
  TooManySearchFilters,
  TooManySearchValues,
  UnknownSearchField,
} from './contact-search.errors';
import {
  EVENT_SEARCH_FIELD,
  resolveSearchField,
  STANDARD_SEARCH_FIELDS,
  type CustomAttributeTypeLookup,
  type SearchField,
  type SearchFieldType,
} from './contact-search.fields';
import type {
  ContactSearchRequest,
  FilterOperator,
  SearchFilter,
  SearchNode,
  SearchPagination,
  SearchScalar,
  SearchSort,
} from './contact-search.query';
import { fieldPath } from '../../shared/json-path';
import { FIRST_SECOND_OF_YEAR_1, LAST_SECOND_OF_YEAR_9999 } from '../../shared/unix-time';
import { MAX_RELATIVE_DAYS } from './contact-search.semantics';

/** Intercom: "a limit of max 2 nested filters" — a group of groups is allowed, one more level is not. */
export const MAX_GROUP_DEPTH = 2;
export const MAX_FILTERS_PER_GROUP = 15;
export const DEFAULT_PER_PAGE = 50;
export const MAX_PER_PAGE = 150;
/** Keeps `IN` lists well inside SQLite's bound-parameter limit. */
export const MAX_LIST_VALUES = 500;
/**
 * The values of a whole query, lists included: 15 × 15 lists of 500 would bind more parameters
 * than SQLite (32,766) or PostgreSQL (65,535) take in one statement.
 */
export const MAX_QUERY_VALUES = 2_000;

export interface SearchParseOptions {
  readonly customAttributeType: CustomAttributeTypeLookup;
  /** Segment rules (segments.md) also accept the relative-date and presence operators. */
  readonly allowRuleOperators?: boolean;
  /** The body field holding the query, which errors name: `query` (a search) or `rule`. */
  readonly root?: string;
  /** `owner_id` as the text field it was before it was an integer one (`parseStoredRule`). */
  readonly ownerIdAsText?: boolean;
}

const OPERATORS_BY_TYPE: Readonly<Record<SearchFieldType, readonly FilterOperator[]>> = {
  string: ['=', '!=', 'IN', 'NIN', '~', '!~', '^', '$'],
  boolean: ['=', '!=', 'IN', 'NIN'],
  integer: ['=', '!=', 'IN', 'NIN', '<', '>', '<=', '>='],
  float: ['=', '!=', 'IN', 'NIN', '<', '>', '<=', '>='],
  // Intercom refuses `!=`, `<=`, `>=`, `IN` and `NIN` on dates.
  date: ['=', '<', '>'],
};
const SEGMENT_OPERATORS: readonly FilterOperator[] = ['=', '!=', 'IN', 'NIN'];
const PRESENCE_OPERATORS: readonly FilterOperator[] = ['exists', 'not_exists'];
const RELATIVE_OPERATORS: readonly FilterOperator[] = ['less_than_days_ago', 'more_than_days_ago'];
const EVENT_OPERATORS: readonly FilterOperator[] = ['has_done', 'has_not_done'];

/** The operators a field accepts. */
export function operatorsFor(
  field: SearchField,
  options: Pick<SearchParseOptions, 'allowRuleOperators'>,
): readonly FilterOperator[] {
  if (field.kind === 'segment') return SEGMENT_OPERATORS;
  if (field.kind === 'event') return options.allowRuleOperators === true ? EVENT_OPERATORS : [];
  const base = OPERATORS_BY_TYPE[field.type];
  if (options.allowRuleOperators !== true) return base;
  return [...base, ...(field.type === 'date' ? RELATIVE_OPERATORS : []), ...PRESENCE_OPERATORS];
}

type JsonObject = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function refuseUnknownKeys(object: JsonObject, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) {
      const at = fieldPath(path, key);
      throw new MalformedSearchRequest(at, at, `Unknown parameter '${at}'`);
    }
  }
}

/**
 * Validates a `POST /contacts/search` body into a typed request. Throws a `ContactSearchError`
 * naming the first problem found.
 */
export function parseContactSearchRequest(
  body: unknown,
  options: SearchParseOptions,
): ContactSearchRequest {
  if (!isObject(body))
    throw new MalformedSearchRequest('body', 'body', 'The request body must be a JSON object');
  refuseUnknownKeys(body, ['query', 'pagination', 'sort'], '');
  if (body.query === undefined) throw new SearchParameterRequired('query', "'query' is required");
  return {
    query: parseSearchQuery(body.query, options),
    sort: parseSort(body.sort, options.customAttributeType),
    pagination: parsePagination(body.pagination),
  };
}

/** Validates a query (a search's `query`, or a segment rule). */
export function parseSearchQuery(query: unknown, options: SearchParseOptions): SearchNode {
  const root = options.root ?? 'query';
  const parsed = parseNode(query, root, 0, options);
  const values = valueCount(parsed);
  if (values > MAX_QUERY_VALUES) throw new TooManySearchValues(root, values, MAX_QUERY_VALUES);
  return parsed;
}

function valueCount(node: SearchNode): number {
  if (node.kind === 'group') return node.value.reduce((sum, child) => sum + valueCount(child), 0);
  return 'value' in node && Array.isArray(node.value) ? node.value.length : 1;
}

function parseNode(
  node: unknown,
  path: string,
  depth: number,
  options: SearchParseOptions,
): SearchNode {
  if (!isObject(node))
    throw new MalformedSearchRequest(path, path, `${path} must be a filter or a group object`);
  if ('field' in node) return parseFilter(node, path, options);
  if (node.operator !== 'AND' && node.operator !== 'OR') {
    const at = `${path}.operator`;
    throw new MalformedSearchRequest(
      at,
      at,
      `${at} must be 'AND' or 'OR': without a field, ${path} is a group {operator: 'AND'|'OR', value: [...]}, not a filter {field, operator, value}`,
    );
  }
  refuseUnknownKeys(node, ['operator', 'value'], path);
  const groupDepth = depth + 1;
  if (groupDepth > MAX_GROUP_DEPTH) throw new SearchQueryTooDeep(path, MAX_GROUP_DEPTH);
  const children = node.value;
  const childrenPath = `${path}.value`;
  if (children === undefined) {
    throw new SearchParameterRequired(
      childrenPath,
      `${childrenPath} is required: a non-empty array of filters or groups`,
    );
  }
  if (!Array.isArray(children) || children.length === 0) {
    throw new MalformedSearchRequest(
      childrenPath,
      childrenPath,
      `${childrenPath} must be a non-empty array of filters or groups`,
    );
  }
  if (children.length > MAX_FILTERS_PER_GROUP) {
    throw new TooManySearchFilters(childrenPath, children.length, MAX_FILTERS_PER_GROUP);
  }
  return {
    kind: 'group',
    operator: node.operator,
    value: children.map((child: unknown, index) =>
      parseNode(child, `${childrenPath}[${index}]`, groupDepth, options),
    ),
  };
}

function parseFilter(node: JsonObject, path: string, options: SearchParseOptions): SearchFilter {
  const ruleOperators = options.allowRuleOperators === true;
  refuseUnknownKeys(
    node,
    ruleOperators ? ['field', 'operator', 'value', 'within_days'] : ['field', 'operator', 'value'],
    path,
  );
  const name = node.field;
  if (typeof name !== 'string')
    throw new MalformedSearchRequest(
      `${path}.field`,
      `${path}.field`,
      `${path}.field must be a string`,
    );
  // Search has no `event` field: there it is unknown like any other name.
  const field =
    ruleOperators && name === EVENT_SEARCH_FIELD.name
      ? EVENT_SEARCH_FIELD
      : resolveSearchField(
          name,
          options.customAttributeType,
          `${path}.field`,
          options.ownerIdAsText,
        );
  if (!field) throw new UnknownSearchField(name, `${path}.field`);
  const allowed = operatorsFor(field, options);
  if (node.operator === undefined)
    throw new FilterOperatorRequired(name, `${path}.operator`, allowed);
  const operator = allowed.find((candidate) => candidate === node.operator);
  if (operator === undefined) {
    const given = typeof node.operator === 'string' ? node.operator : JSON.stringify(node.operator);
    throw new OperatorNotAllowed(name, `${path}.operator`, given, allowed);
  }
  const valuePath = `${path}.value`;
  const raw = node.value;
  if (node.within_days !== undefined && operator !== 'has_done' && operator !== 'has_not_done') {
    const at = `${path}.within_days`;
    throw new MalformedSearchRequest(at, at, `Unknown parameter '${at}'`);
  }
  if (raw === undefined && operator !== 'exists' && operator !== 'not_exists') {
    throw new SearchParameterRequired(
      valuePath,
      `${valuePath} is required for operator '${operator}' on field '${name}'`,
    );
  }
  switch (operator) {
    case 'has_done':
    case 'has_not_done': {
      if (typeof raw !== 'string' || raw === '')
        throw new InvalidSearchValue(name, valuePath, 'an event name');
      if (node.within_days === undefined || node.within_days === null)
        return { kind: 'filter', field, operator, value: raw };
      const withinDays = parseNumber(node.within_days);
      if (withinDays === undefined || withinDays < 0 || withinDays > MAX_RELATIVE_DAYS) {
        // Named as sent, as the other keys of a filter are: the parameter is at fault, not the event.
        const at = `${path}.within_days`;
        throw new InvalidSearchValue(at, at, RELATIVE_DAYS);
      }
      return { kind: 'filter', field, operator, value: raw, withinDays };
    }
    case 'exists':
    case 'not_exists':
      if (raw !== undefined && raw !== null)
        throw new InvalidSearchValue(name, valuePath, `no value for '${operator}'`);
      return { kind: 'filter', field, operator };
    case 'less_than_days_ago':
    case 'more_than_days_ago': {
      const days = parseNumber(raw);
      if (days === undefined || days < 0 || days > MAX_RELATIVE_DAYS)
        throw new InvalidSearchValue(name, valuePath, RELATIVE_DAYS);
      return { kind: 'filter', field, operator, value: days };
    }
    case '=':
    case '!=':
      if (raw === null && field.kind === 'segment')
        throw new InvalidSearchValue(name, valuePath, 'a segment id');
      return {
        kind: 'filter',
        field,
        operator,
        value: raw === null ? null : parseScalar(field, raw, valuePath),
      };
    case 'IN':
    case 'NIN': {
      if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_LIST_VALUES) {
        throw new InvalidSearchValue(name, valuePath, `an array of 1 to ${MAX_LIST_VALUES} values`);
      }
      const values = raw.map((item: unknown, index) =>
        parseScalar(field, item, `${valuePath}[${index}]`),
      );
      return { kind: 'filter', field, operator, value: values };
    }
    case '<':
    case '>':
    case '<=':
    case '>=': {
      const value = parseScalar(field, raw, valuePath);
      if (typeof value !== 'number') throw new InvalidSearchValue(name, valuePath, 'a number');
      return { kind: 'filter', field, operator, value };
    }
    case '~':
    case '!~':
    case '^':
    case '$': {
      const value = parseScalar(field, raw, valuePath);
      if (typeof value !== 'string') throw new InvalidSearchValue(name, valuePath, 'a string');
      return { kind: 'filter', field, operator, value };
    }
  }
}

/** Stored strings are at most 255 characters; SQLite refuses LIKE patterns over 50,000 bytes. */
const MAX_STRING_VALUE_LENGTH = 1_024;

const RELATIVE_DAYS = `a number of days from 0 to ${MAX_RELATIVE_DAYS.toLocaleString('en-US')}`;

const NUMERIC_TEXT = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

/** Numbers, or their decimal text (Intercom's own examples send timestamps as strings). */
function parseNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw === 'string' && NUMERIC_TEXT.test(raw)) {
    const value = Number(raw);
    return Number.isFinite(value) ? value : undefined;
  }
  return undefined;
}

function parseScalar(field: SearchField, raw: unknown, path: string): SearchScalar {
  switch (field.type) {
    case 'string':
      // Intercom's filter value is a string or an integer: an integer stands for its digits
      // (`external_id = 123` finds "123", as an owner_id read back as a number finds its text).
      if (typeof raw === 'number' && Number.isSafeInteger(raw)) return String(raw);
      if (typeof raw !== 'string') throw new InvalidSearchValue(field.name, path, 'a string');
      if (raw.length > MAX_STRING_VALUE_LENGTH) {
        throw new InvalidSearchValue(
          field.name,
          path,
          `a string of at most ${MAX_STRING_VALUE_LENGTH} characters`,
        );
      }
      return raw;
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      throw new InvalidSearchValue(field.name, path, 'true or false');
    case 'integer': {
      const value = parseNumber(raw);
      if (value === undefined || !Number.isSafeInteger(value))
        throw new InvalidSearchValue(field.name, path, 'an integer');
      return value;
    }
    case 'float': {
      const value = parseNumber(raw);
      if (value === undefined) throw new InvalidSearchValue(field.name, path, 'a number');
      return value;
    }
    case 'date': {
      const value = parseNumber(raw);
      if (
        value === undefined ||
        !Number.isSafeInteger(value) ||
        value < FIRST_SECOND_OF_YEAR_1 ||
        value > LAST_SECOND_OF_YEAR_9999
      ) {
        throw new InvalidSearchValue(
          field.name,
          path,
          'a UNIX timestamp in seconds, from year 1 to year 9999',
        );
      }
      return value;
    }
  }
}

export const DEFAULT_SORT_FIELD = 'created_at';

function parseSort(raw: unknown, customAttributeType: CustomAttributeTypeLookup): SearchSort {
  const createdAt = STANDARD_SEARCH_FIELDS.get(DEFAULT_SORT_FIELD);
  if (!createdAt) throw new Error('created_at is missing from the search fields');
  if (raw === undefined || raw === null) return { field: createdAt, order: 'descending' };
  if (!isObject(raw))
    throw new MalformedSearchRequest('sort', 'sort', "'sort' must be an object {field, order}");
  refuseUnknownKeys(raw, ['field', 'order'], 'sort');
  // A null order is one left out, as a null sort is: the default.
  if (raw.order != null && raw.order !== 'ascending' && raw.order !== 'descending') {
    throw new InvalidSortOrder(
      typeof raw.order === 'string' ? raw.order : JSON.stringify(raw.order),
    );
  }
  const order = raw.order ?? 'descending';
  if (raw.field === undefined) return { field: createdAt, order };
  if (typeof raw.field !== 'string')
    throw new MalformedSearchRequest('sort.field', 'sort.field', "'sort.field' must be a string");
  const field = resolveSearchField(raw.field, customAttributeType, 'sort.field');
  if (!field || field.kind === 'segment') {
    throw new MalformedSearchRequest('sort.field', 'sort.field', `Cannot sort by '${raw.field}'`);
  }
  return { field, order };
}

function parsePagination(raw: unknown): SearchPagination {
  if (raw === undefined || raw === null)
    return { perPage: DEFAULT_PER_PAGE, startingAfter: undefined };
  if (!isObject(raw))
    throw new MalformedSearchRequest('pagination', 'pagination', "'pagination' must be an object");
  refuseUnknownKeys(raw, ['per_page', 'starting_after'], 'pagination');
  let perPage = DEFAULT_PER_PAGE;
  if (raw.per_page !== undefined && raw.per_page !== null) {
    const value = parseNumber(raw.per_page);
    if (value === undefined || !Number.isInteger(value) || value < 1 || value > MAX_PER_PAGE) {
      throw new MalformedSearchRequest(
        'pagination.per_page',
        'pagination.per_page',
        `per_page must be an integer from 1 to ${MAX_PER_PAGE}`,
      );
    }
    perPage = value;
  }
  const cursor = raw.starting_after;
  if (cursor !== undefined && cursor !== null && (typeof cursor !== 'string' || cursor === '')) {
    throw new MalformedSearchRequest(
      'pagination.starting_after',
      'pagination.starting_after',
      'starting_after must be a cursor string from a previous page',
    );
  }
  return { perPage, startingAfter: typeof cursor === 'string' ? cursor : undefined };
}

import type { ContactsTable } from '../../../projections/contacts/contacts.table';
import { ownerIdNumber } from '../domain/contact.attributes';
import type { SearchField } from './contact-search.fields';
import type {
  DataEventFilter,
  SearchFilter,
  SearchNode,
  SearchScalar,
} from './contact-search.query';
import { foldCase, relativeThreshold } from './contact-search.semantics';
import { dayContaining } from './time-zone-days';

/**
 * A contact row as the read model holds it; `custom_attributes` as JSON text or already parsed.
 * No search field reads the other JSON columns (merge history, write times).
 */
export type SearchableContact = Readonly<
  Omit<ContactsTable, 'custom_attributes' | 'merge_history' | 'field_written_at'>
> & {
  readonly custom_attributes: string | Readonly<Record<string, unknown>>;
};

export interface EvaluationContext {
  /** IANA name of the workspace time zone; date filters match whole days there. */
  readonly timeZone: string;
  /** Unix seconds; required by `less_than_days_ago` / `more_than_days_ago`. */
  readonly now?: number;
  /** Segment membership; without it no contact is in any segment (segments do not exist yet). */
  readonly isSegmentMember?: (segmentId: string, contactId: string) => boolean;
  /**
   * The latest `created_at` of the contact's data events (those of contacts merged into it
   * included) by event name; without it the contact has tracked none.
   */
  readonly lastDataEventAt?: ReadonlyMap<string, number>;
}

type FieldValue = string | number | boolean | null;

/**
 * Whether `contact` matches `query`: the reference semantics of the search language, one contact
 * at a time, identical to the SQL the query compiles to (see `contact-search.semantics.ts`).
 * The matrix test checks the two against each other; segments can use it per contact.
 */
export function matchesSearchQuery(
  contact: SearchableContact,
  query: SearchNode,
  context: EvaluationContext,
): boolean {
  if (query.kind !== 'group') return matchesFilter(contact, query, context);
  // Loops, not every/some with a closure: membership evaluates millions of (contact, rule) pairs.
  const all = query.operator === 'AND';
  for (const node of query.value) {
    if (matchesSearchQuery(contact, node, context) !== all) return !all;
  }
  return all;
}

/** The value a field has on a contact, normalised: booleans as booleans, dates and numbers as numbers. */
export function searchFieldValue(contact: SearchableContact, field: SearchField): FieldValue {
  switch (field.kind) {
    case 'segment':
    case 'event':
      return null;
    case 'standard': {
      const value = contact[field.column];
      if (value === null || value === undefined) return null;
      if (field.type === 'boolean') return Number(value) === 1;
      if (field.type === 'string') return String(value);
      if (field.storedAsDigits === true) return ownerIdNumber(String(value));
      return Number(value);
    }
    case 'custom': {
      const attributes =
        typeof contact.custom_attributes === 'string'
          ? (JSON.parse(contact.custom_attributes) as Readonly<Record<string, unknown>>)
          : contact.custom_attributes;
      const value = attributes[field.attribute];
      switch (field.type) {
        case 'string':
          return typeof value === 'string' ? value : null;
        case 'boolean':
          return typeof value === 'boolean' ? value : null;
        case 'integer':
        case 'float':
        case 'date':
          return typeof value === 'number' ? value : null;
      }
    }
  }
}

const isCaseless = (field: SearchField): boolean =>
  field.kind === 'standard' && field.caseInsensitive;

const sameText = (field: SearchField, a: string, b: string): boolean =>
  isCaseless(field) && foldCase(a) === foldCase(b);

/**
 * What `=` compares of a value on `field` (a date field excepted: `=` matches its whole day): two
 * values are equal under `=` exactly when their keys are. Lets membership index rules by value.
 */
export function equalityKey(field: SearchField, value: SearchScalar): string {
  if (typeof value === 'string') return `s${isCaseless(field) ? foldCase(value) : value}`;
  return `${typeof value === 'number' ? 'n' : 'b'}${String(value)}`;
}

function matchesFilter(
  contact: SearchableContact,
  filter: SearchFilter,
  context: EvaluationContext,
): boolean {
  if (filter.operator === 'has_done' || filter.operator === 'has_not_done') {
    return matchesDataEventFilter(filter, context);
  }
  const field = filter.field;
  if (field.kind === 'segment') {
    const member = (ids: readonly SearchScalar[]): boolean =>
      ids.some((id) => context.isSegmentMember?.(String(id), contact.id) ?? false);
    switch (filter.operator) {
      case '=':
        return member(filter.value === null ? [] : [filter.value]);
      case '!=':
        return !member(filter.value === null ? [] : [filter.value]);
      case 'IN':
        return member(filter.value);
      case 'NIN':
        return !member(filter.value);
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
        throw new Error(`segment_id does not support ${filter.operator}`);
    }
  }
  const value = searchFieldValue(contact, field);
  switch (filter.operator) {
    case '=':
      if (filter.value === null) return value === null;
      if (value === null) return false;
      return field.type === 'date'
        ? withinDay(value, filter.value, context)
        : same(field, value, filter.value);
    case '!=':
      if (filter.value === null) return value !== null;
      return value === null || !same(field, value, filter.value);
    case 'IN':
      return value !== null && filter.value.some((candidate) => same(field, value, candidate));
    case 'NIN':
      return value === null || !filter.value.some((candidate) => same(field, value, candidate));
    case '<':
    case '>':
    case '<=':
    case '>=':
      if (typeof value !== 'number') return false;
      return field.type === 'date'
        ? compareDay(value, filter.operator, filter.value, context)
        : compare(value, filter.operator, filter.value);
    case '~':
    case '!~':
    case '^':
    case '$': {
      if (typeof value !== 'string') return filter.operator === '!~';
      const text = foldCase(value);
      const part = foldCase(filter.value);
      if (filter.operator === '~') return text.includes(part);
      if (filter.operator === '!~') return !text.includes(part);
      if (filter.operator === '^') return text.startsWith(part);
      return text.endsWith(part);
    }
    case 'less_than_days_ago':
    case 'more_than_days_ago': {
      if (typeof value !== 'number') return false;
      const threshold = relativeThreshold(requireNow(context), filter.value);
      return filter.operator === 'less_than_days_ago' ? value > threshold : value < threshold;
    }
    case 'exists':
      return value !== null;
    case 'not_exists':
      return value === null;
  }
}

/** Shared with the SQL compiler: the latest event decides both `has_done` and "within N days". */
export function matchesDataEventFilter(
  filter: DataEventFilter,
  context: EvaluationContext,
): boolean {
  const last = context.lastDataEventAt?.get(filter.value);
  const done =
    last !== undefined &&
    (filter.withinDays === undefined ||
      last > relativeThreshold(requireNow(context), filter.withinDays));
  return filter.operator === 'has_done' ? done : !done;
}

/** `=` between a contact's value on `field` and a rule's. */
const same = (field: SearchField, a: FieldValue, b: SearchScalar): boolean =>
  a === b || (typeof a === 'string' && typeof b === 'string' && sameText(field, a, b));

function compare(value: number, operator: '<' | '>' | '<=' | '>=', bound: number): boolean {
  switch (operator) {
    case '<':
      return value < bound;
    case '>':
      return value > bound;
    case '<=':
      return value <= bound;
    case '>=':
      return value >= bound;
  }
}

function withinDay(value: FieldValue, day: SearchScalar, context: EvaluationContext): boolean {
  const bounds = dayContaining(Number(day), context.timeZone);
  return typeof value === 'number' && value >= bounds.start && value < bounds.end;
}

function compareDay(
  value: number,
  operator: '<' | '>' | '<=' | '>=',
  day: number,
  context: EvaluationContext,
): boolean {
  const bounds = dayContaining(day, context.timeZone);
  switch (operator) {
    case '<':
      return value < bounds.start;
    case '>':
      return value >= bounds.end;
    case '<=':
      return value < bounds.end;
    case '>=':
      return value >= bounds.start;
  }
}

export function requireNow(context: { readonly now?: number }): number {
  if (context.now === undefined) throw new Error('Relative date operators need `now`');
  return context.now;
}

import {
  equalityKey,
  searchFieldValue,
  type SearchableContact,
} from '../../src/contacts/search/contact-search.evaluate';
import type { SearchField } from '../../src/contacts/search/contact-search.fields';
import {
  fieldsOf,
  type SearchNode,
  type SearchScalar,
} from '../../src/contacts/search/contact-search.query';
import type { SegmentRuleSnapshot } from '../../src/segments/domain/segment-membership';

/** What a segment's membership reads of a contact, besides eligibility (status and role). */
export interface SegmentInputs {
  readonly columns: ReadonlySet<string>;
  readonly customAttributes: ReadonlySet<string>;
  /** Reads state outside the row (data events, other segments): re-evaluated on every event. */
  readonly always: boolean;
}

export function inputsOf(segment: SegmentRuleSnapshot): SegmentInputs {
  const columns = new Set<string>();
  const customAttributes = new Set<string>();
  let always = segment.dataEventFilters.length > 0;
  for (const field of fieldsOf(segment.rule)) {
    switch (field.kind) {
      case 'standard':
        columns.add(field.column);
        break;
      case 'custom':
        customAttributes.add(field.attribute);
        break;
      case 'segment':
      case 'event':
        always = true;
        break;
    }
  }
  return { columns, customAttributes, always };
}

/**
 * Which of a workspace's segments can have changed for a contact between two of its states. A
 * segment whose inputs did not change keeps its membership and its deadline: time alone flips it
 * only at its deadline, which fires before any later event, so its last evaluation still holds.
 *
 * Indexed by input, so an event compares only the fields some segment reads (a contact row has
 * forty columns; a workspace's rules read a few) instead of checking every segment.
 */
export class SegmentsByInput {
  // Arrays of entries, not maps: every event walks them, and a map's entries allocate as they go.
  private readonly byColumn: ReadonlyArray<{
    readonly column: keyof SearchableContact;
    readonly indexes: readonly number[];
  }>;
  private readonly byAttribute: ReadonlyArray<{
    readonly name: string;
    readonly indexes: readonly number[];
  }>;
  private readonly always: number[] = [];
  private readonly marks: Uint8Array;

  constructor(inputs: readonly SegmentInputs[]) {
    this.marks = new Uint8Array(inputs.length);
    const byColumn = new Map<keyof SearchableContact, number[]>();
    const byAttribute = new Map<string, number[]>();
    inputs.forEach((input, index) => {
      if (input.always) this.always.push(index);
      for (const column of input.columns) {
        listOf(byColumn, column as keyof SearchableContact).push(index);
      }
      for (const name of input.customAttributes) listOf(byAttribute, name).push(index);
    });
    this.byColumn = [...byColumn].map(([column, indexes]) => ({ column, indexes }));
    this.byAttribute = [...byAttribute].map(([name, indexes]) => ({ name, indexes }));
  }

  /**
   * By segment index, 1 where the segment may have changed; `undefined` when every segment may
   * (the contact appeared, went, or changed status or role). The array is reused: read it before
   * the next call.
   */
  affectedBetween(
    before: SearchableContact | undefined,
    after: SearchableContact | undefined,
  ): Uint8Array | undefined {
    if (before === undefined || after === undefined) return undefined;
    if (before.status !== after.status || before.role !== after.role) return undefined;
    const beforeAttributes = before.custom_attributes;
    const afterAttributes = after.custom_attributes;
    if (typeof beforeAttributes === 'string' || typeof afterAttributes === 'string')
      return undefined;
    const marks = this.marks;
    marks.fill(0);
    for (const index of this.always) marks[index] = 1;
    for (const { column, indexes } of this.byColumn) {
      if (before[column] === after[column]) continue;
      for (const index of indexes) marks[index] = 1;
    }
    for (const { name, indexes } of this.byAttribute) {
      if (sameValue(beforeAttributes[name], afterAttributes[name])) continue;
      for (const index of indexes) marks[index] = 1;
    }
    return marks;
  }
}

const listOf = <Key>(lists: Map<Key, number[]>, key: Key): number[] => {
  const known = lists.get(key);
  if (known) return known;
  const list: number[] = [];
  lists.set(key, list);
  return list;
};

const sameValue = (a: unknown, b: unknown): boolean =>
  a === b ||
  (typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b));

/**
 * Which of a workspace's segments a contact's values leave possible. A rule that requires a field
 * to equal a value (the rule, or a conjunct of an AND, is `field = value`) cannot select a contact
 * whose value is another: its segments are indexed by that value, so a contact's first event
 * evaluates the few segments of its own values instead of every segment. A segment it is not
 * possible for is false for the contact at every instant (so it has no deadline either).
 */
export class SegmentsByRequiredValue {
  private readonly fields: Array<{
    readonly field: SearchField;
    readonly byKey: ReadonlyMap<string, readonly number[]>;
  }> = [];
  private readonly unindexed: number[] = [];
  private readonly marks: Uint8Array;

  constructor(segments: readonly SegmentRuleSnapshot[]) {
    this.marks = new Uint8Array(segments.length);
    const byField = new Map<string, { field: SearchField; byKey: Map<string, number[]> }>();
    segments.forEach((segment, index) => {
      const required = requiredEquality(segment.rule);
      if (!required) {
        this.unindexed.push(index);
        return;
      }
      const fieldKey = JSON.stringify(required.field);
      const entry = byField.get(fieldKey) ?? {
        field: required.field,
        byKey: new Map<string, number[]>(),
      };
      byField.set(fieldKey, entry);
      listOf(entry.byKey, equalityKey(required.field, required.value)).push(index);
    });
    this.fields.push(...byField.values());
  }

  /** By segment index, 1 where the segment may select `contact`. Reused: read it before the next call. */
  possibleFor(contact: SearchableContact | undefined): Uint8Array {
    const marks = this.marks;
    marks.fill(0);
    if (contact === undefined) return marks;
    for (const index of this.unindexed) marks[index] = 1;
    for (const { field, byKey } of this.fields) {
      const value = searchFieldValue(contact, field);
      if (value === null) continue;
      for (const index of byKey.get(equalityKey(field, value)) ?? NONE) marks[index] = 1;
    }
    return marks;
  }
}

const NONE: readonly number[] = [];

/** A `field = value` the rule cannot be true without (a date's `=` is a day: not indexed). */
function requiredEquality(
  rule: SearchNode,
): { readonly field: SearchField; readonly value: SearchScalar } | undefined {
  if (rule.kind === 'group') {
    if (rule.operator !== 'AND') return undefined;
    for (const conjunct of rule.value) {
      const required = requiredEquality(conjunct);
      if (required) return required;
    }
    return undefined;
  }
  if (rule.operator !== '=' || rule.value === null) return undefined;
  const field = rule.field;
  if ((field.kind !== 'standard' && field.kind !== 'custom') || field.type === 'date') {
    return undefined;
  }
  return { field, value: rule.value };
}

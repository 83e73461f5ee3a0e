import type { SearchableContact } from '../../src/contacts/search/contact-search.evaluate';
import { fieldsOf } from '../../src/contacts/search/contact-search.query';
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
  private readonly byColumn = new Map<keyof SearchableContact, number[]>();
  private readonly byAttribute = new Map<string, number[]>();
  private readonly always: number[] = [];
  private readonly marks: Uint8Array;

  constructor(inputs: readonly SegmentInputs[]) {
    this.marks = new Uint8Array(inputs.length);
    inputs.forEach((input, index) => {
      if (input.always) this.always.push(index);
      for (const column of input.columns) {
        listOf(this.byColumn, column as keyof SearchableContact).push(index);
      }
      for (const name of input.customAttributes) listOf(this.byAttribute, name).push(index);
    });
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
    for (const [column, indexes] of this.byColumn) {
      if (before[column] === after[column]) continue;
      for (const index of indexes) marks[index] = 1;
    }
    for (const [name, indexes] of this.byAttribute) {
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

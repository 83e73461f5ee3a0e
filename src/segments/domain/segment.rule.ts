import type { JsonValue } from '../../contacts/domain/contact.attributes';
import type {
  CustomAttributeTypeLookup,
  SearchFieldType,
} from '../../contacts/search/contact-search.fields';
import { parseSearchQuery } from '../../contacts/search/contact-search.parse';
import type { SearchNode } from '../../contacts/search/contact-search.query';
import { SegmentFieldInRule } from './segment.errors';
import type { StoredSegmentRule } from './segment.events';

/**
 * Validates a rule as search validates a query, plus the rule operators (segments.md); throws the
 * search language's errors. Returns the rule to store: the query as written and the types of the
 * custom attributes it names.
 */
export function validateSegmentRule(
  rule: unknown,
  customAttributeType: CustomAttributeTypeLookup,
  timeZone: string,
): StoredSegmentRule {
  const node = parseSearchQuery(rule, {
    customAttributeType,
    allowRuleOperators: true,
    root: 'rule',
  });
  refuseSegmentFields(node, 'rule');
  const attributeTypes: Record<string, SearchFieldType> = {};
  collectAttributeTypes(node, attributeTypes);
  return { rule: rule as JsonValue, attributeTypes, timeZone };
}

/** The days a stored rule's date comparisons count in. */
export const timeZoneOf = (stored: StoredSegmentRule): string => stored.timeZone ?? 'UTC';

/**
 * The rule a stored one stands for; it was valid when stored, so this does not throw. A rule that
 * searched `owner_id` as text, as rules could before it was an integer field (`~`, a value that
 * is no number), keeps that meaning.
 */
export function parseStoredRule(stored: StoredSegmentRule): SearchNode {
  const options = {
    customAttributeType: (name: string) => stored.attributeTypes[name],
    allowRuleOperators: true,
  };
  try {
    return parseSearchQuery(stored.rule, options);
  } catch (error) {
    if (!JSON.stringify(stored.rule).includes('"owner_id"')) throw error;
    return parseSearchQuery(stored.rule, { ...options, ownerIdAsText: true });
  }
}

export const sameStoredRule = (a: StoredSegmentRule, b: StoredSegmentRule): boolean =>
  JSON.stringify(a.rule) === JSON.stringify(b.rule) &&
  JSON.stringify(a.attributeTypes) === JSON.stringify(b.attributeTypes) &&
  timeZoneOf(a) === timeZoneOf(b);

function refuseSegmentFields(node: SearchNode, path: string): void {
  if (node.kind === 'filter') {
    if (node.field.kind === 'segment') throw new SegmentFieldInRule(`${path}.field`);
    return;
  }
  node.value.forEach((child, index) => refuseSegmentFields(child, `${path}.value[${index}]`));
}

function collectAttributeTypes(node: SearchNode, into: Record<string, SearchFieldType>): void {
  if (node.kind === 'group') {
    for (const child of node.value) collectAttributeTypes(child, into);
    return;
  }
  if (node.field.kind === 'custom') into[node.field.attribute] = node.field.type;
}

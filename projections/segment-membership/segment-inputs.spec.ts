import fc from 'fast-check';
import {
  matchesSearchQuery,
  type SearchableContact,
} from '../../src/contacts/search/contact-search.evaluate';
import type { SearchNode } from '../../src/contacts/search/contact-search.query';
import { snapshotOf } from '../../src/segments/domain/segment-membership';
import { parseStoredRule } from '../../src/segments/domain/segment.rule';
import type { JsonValue } from '../../src/contacts/domain/contact.attributes';
import { SegmentsByRequiredValue } from './segment-inputs';

const ATTRIBUTE_TYPES = { plan: 'string', score: 'integer', paid: 'boolean' } as const;

const ruleOf = (rule: JsonValue): SearchNode =>
  parseStoredRule({ rule, attributeTypes: ATTRIBUTE_TYPES });

// Values that collide under case folding, and values of the wrong type for a field.
const text = fc.constantFrom(
  'Ada@Example.com',
  'ada@example.com',
  'ADA@EXAMPLE.COM',
  'Bo@x.io',
  '',
);
const scalar = fc.oneof(text, fc.constantFrom(0, 1, 2, -1, 1.5), fc.boolean());

const equality = fc.oneof(
  fc.record({ field: fc.constant('email'), operator: fc.constant('='), value: text }),
  fc.record({ field: fc.constant('email_domain'), operator: fc.constant('='), value: text }),
  fc.record({ field: fc.constant('name'), operator: fc.constant('='), value: text }),
  fc.record({
    field: fc.constant('custom_attributes.plan'),
    operator: fc.constant('='),
    value: text,
  }),
  fc.record({
    field: fc.constant('custom_attributes.score'),
    operator: fc.constant('='),
    value: fc.constantFrom(0, 1, 2, -1),
  }),
  fc.record({
    field: fc.constant('custom_attributes.paid'),
    operator: fc.constant('='),
    value: fc.boolean(),
  }),
);

const rule: fc.Arbitrary<JsonValue> = fc.oneof(
  equality,
  fc.record({
    operator: fc.constant('AND'),
    value: fc.tuple(
      fc.record({
        field: fc.constant('role'),
        operator: fc.constant('='),
        value: fc.constant('user'),
      }),
      equality,
    ),
  }),
  fc.record({ operator: fc.constant('OR'), value: fc.tuple(equality, equality) }),
  fc.record({ field: fc.constant('email'), operator: fc.constant('exists') }),
);

const contact = fc
  .record({
    email: fc.option(text, { nil: null }),
    email_domain: fc.option(text, { nil: null }),
    name: fc.option(text, { nil: null }),
    plan: scalar,
    score: scalar,
    paid: scalar,
  })
  .map(
    ({ plan, score, paid, ...columns }) =>
      ({
        id: '650000000000000000000001',
        workspace_id: 'ws',
        role: 'user',
        status: 'live',
        ...columns,
        custom_attributes: { plan, score, paid },
      }) as unknown as SearchableContact,
  );

describe('SegmentsByRequiredValue', () => {
  it('rules out exactly the segments whose required equality the contact fails', () => {
    fc.assert(
      fc.property(fc.array(rule, { minLength: 1, maxLength: 8 }), contact, (rules, row) => {
        const segments = rules.map((json, index) =>
          snapshotOf(String(index).padStart(24, '0'), 'all', ruleOf(json), 1, 'UTC'),
        );
        const possible = new SegmentsByRequiredValue(segments).possibleFor(row);
        segments.forEach((segment, index) => {
          const matches = matchesSearchQuery(row, segment.rule, { timeZone: 'UTC', now: 0 });
          // Never ruled out when it matches; a bare equality is possible only when it matches.
          if (matches) expect(possible[index]).toBe(1);
          if (segment.rule.kind === 'filter' && segment.rule.operator === '=') {
            expect(possible[index]).toBe(matches ? 1 : 0);
          }
        });
      }),
      { numRuns: 500 },
    );
  });

  it('leaves no segment possible for a contact that is not there, and an unindexed rule always', () => {
    const segments = [
      snapshotOf('a'.repeat(24), 'all', ruleOf({ field: 'email', operator: 'exists' }), 1, 'UTC'),
      snapshotOf(
        'b'.repeat(24),
        'all',
        ruleOf({ field: 'email', operator: '=', value: 'x@y.z' }),
        1,
        'UTC',
      ),
    ];
    const index = new SegmentsByRequiredValue(segments);
    expect([...index.possibleFor(undefined)]).toEqual([0, 0]);
    const row = { id: 'c', role: 'user', status: 'live', email: 'X@Y.Z', custom_attributes: {} };
    expect([...index.possibleFor(row as unknown as SearchableContact)]).toEqual([1, 1]);
  });
});

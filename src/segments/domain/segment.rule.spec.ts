import type { SearchableContact } from '../../contacts/search/contact-search.evaluate';
import { matchesSearchQuery } from '../../contacts/search/contact-search.evaluate';
import { parseStoredRule, validateSegmentRule } from './segment.rule';

const owned = (ownerId: string | null): SearchableContact =>
  ({
    id: 'contact-1',
    workspace_id: 'w',
    status: 'live',
    role: 'user',
    owner_id: ownerId,
    custom_attributes: {},
  }) as unknown as SearchableContact;

const matches = (rule: Parameters<typeof parseStoredRule>[0]['rule'], ownerId: string | null) =>
  matchesSearchQuery(owned(ownerId), parseStoredRule({ rule, attributeTypes: {} }), {
    timeZone: 'UTC',
  });

describe('a stored rule on owner_id', () => {
  it('compares owner_id as an integer: 9 before 10, a leading zero stored before read as its number', () => {
    const above = { field: 'owner_id', operator: '>', value: 9 };
    expect([matches(above, '10'), matches(above, '9'), matches(above, '0123')]).toEqual([
      true,
      false,
      true,
    ]);
  });

  it('keeps the text meaning of a rule saved when owner_id was a text field', () => {
    const containsOne = { field: 'owner_id', operator: '~', value: '1' };
    expect(() => validateSegmentRule(containsOne, () => undefined, 'UTC')).toThrow();
    expect([
      matches(containsOne, '217'),
      matches(containsOne, '5'),
      matches(containsOne, null),
    ]).toEqual([true, false, false]);
  });
});

import { InvalidSearchCursor } from './contact-search.errors';
import { decodeSearchCursor, encodeSearchCursor } from './contact-search.cursor';
import { parseContactSearchRequest } from './contact-search.parse';

const requestSortedBy = (field: string) =>
  parseContactSearchRequest(
    { query: { field: 'role', operator: '=', value: 'user' }, sort: { field, order: 'ascending' } },
    { customAttributeType: () => undefined },
  );

describe('search cursors', () => {
  it('continue the query and sort they came from, in the scope that ran it', () => {
    const { query, sort } = requestSortedBy('created_at');
    const cursor = encodeSearchCursor(
      { page: 2, value: 1_700_000_000, id: 'c1' },
      query,
      sort,
      'ws',
    );
    expect(decodeSearchCursor(cursor, query, sort, 'ws')).toEqual({
      page: 2,
      value: 1_700_000_000,
      id: 'c1',
    });
    // Another workspace (or listing) running the same query.
    expect(() => decodeSearchCursor(cursor, query, sort, 'other-ws')).toThrow(InvalidSearchCursor);
  });

  // The digest is no secret: anyone can sign a cursor, so its value is checked against the column.
  it.each<[string, string | number, string]>([
    ['a fraction for a date', 1.5, 'created_at'],
    ['a number past 2^53 for a date', 1e300, 'signed_up_at'],
    ['a fraction for a boolean', 0.5, 'unsubscribed_from_emails'],
    ['a number other than 0 and 1 for a boolean (an integer column)', 2 ** 31, 'has_hard_bounced'],
    ['an unpaired surrogate in a string', 'a\ud800', 'name'],
    ['a number for a string', 7, 'name'],
    ['a NUL character in a string', 'a\u0000b', 'name'],
  ])('refuses a signed cursor holding %s', (_label, value, field) => {
    const { query, sort } = requestSortedBy(field);
    const forged = encodeSearchCursor({ page: 2, value, id: 'c1' }, query, sort, 'ws');
    expect(() => decodeSearchCursor(forged, query, sort, 'ws')).toThrow(InvalidSearchCursor);
  });

  it('refuses a signed cursor whose id holds a NUL character', () => {
    const { query, sort } = requestSortedBy('name');
    const forged = encodeSearchCursor({ page: 2, value: 'a', id: 'c\u0000' }, query, sort, 'ws');
    expect(() => decodeSearchCursor(forged, query, sort, 'ws')).toThrow(InvalidSearchCursor);
  });
});

import { totalPagesOf } from './total-pages';

describe('total_pages of a list', () => {
  it.each([
    ['an empty list, as Intercom answers it', 1, 50, 0, 0],
    ['a full last page', 1, 2, 4, 2],
    ['a part-filled last page', 1, 2, 5, 3],
    ['a page a cursor opened after deletions shrank the list', 12, 10, 85, 12],
  ])('%s', (_label, page, perPage, totalCount, expected) => {
    expect(totalPagesOf(page, perPage, totalCount)).toBe(expected);
  });
});

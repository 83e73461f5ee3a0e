/**
 * A list's `pages.total_pages`: 0 for an empty list, as Intercom answers; otherwise never less
 * than the page a cursor opened, though what it counted shrank since (deletions meanwhile).
 */
export const totalPagesOf = (page: number, perPage: number, totalCount: number): number =>
  totalCount === 0 ? 0 : Math.max(page, Math.ceil(totalCount / perPage));

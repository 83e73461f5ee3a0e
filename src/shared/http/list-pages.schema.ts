/** JSON schema of the `pages` of a numbered list (Intercom's `cursor_pages`); `next` on all but the last. */
export const LIST_PAGES_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['pages'] },
    page: { type: 'integer' },
    per_page: { type: 'integer' },
    total_pages: { type: 'integer' },
    next: {
      type: 'object',
      properties: { page: { type: 'integer' }, starting_after: { type: 'string' } },
    },
  },
} as const;

/** The search body (api.md's query language; the parser is the authority). */
export const SEARCH_REQUEST_SCHEMA = {
  type: 'object',
  required: ['query'],
  properties: {
    query: {
      type: 'object',
      description:
        'A filter `{field, operator, value}` or a group `{operator: "AND" | "OR", value: [filters or groups]}`',
      additionalProperties: true,
    },
    pagination: {
      type: 'object',
      properties: {
        per_page: { type: 'integer', minimum: 1, maximum: 150 },
        starting_after: { type: 'string' },
      },
    },
    sort: {
      type: 'object',
      properties: {
        field: { type: 'string' },
        order: { type: 'string', enum: ['ascending', 'descending'] },
      },
    },
  },
};

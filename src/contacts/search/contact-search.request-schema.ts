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
    // A null is taken as the member left out (the parser's defaults), and documented so.
    pagination: {
      type: 'object',
      nullable: true,
      properties: {
        per_page: { type: 'integer', minimum: 1, maximum: 150, nullable: true },
        starting_after: { type: 'string', nullable: true },
      },
    },
    sort: {
      type: 'object',
      nullable: true,
      properties: {
        field: { type: 'string' },
        // OpenAPI 3.0 lets null through an enum only when the enum lists it.
        order: {
          type: 'string',
          nullable: true,
          enum: ['ascending', 'descending', null],
          description: 'null is the default: descending',
        },
      },
    },
  },
};

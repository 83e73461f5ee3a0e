/** One entry of Intercom's error envelope. */
export interface IntercomErrorItem {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
}

/** The Intercom error envelope every error response uses. */
export interface IntercomErrorList {
  readonly type: 'error.list';
  readonly request_id: string;
  readonly errors: readonly IntercomErrorItem[];
}

/** `IntercomErrorList` as the OpenAPI document describes it. */
export const ERROR_LIST_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['error.list'] },
    request_id: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          code: { type: 'string' },
          message: { type: 'string' },
          field: { type: 'string', description: 'The request field at fault, when there is one' },
        },
      },
    },
  },
};

/**
 * An error that already knows its HTTP status and Intercom code. Domain errors are mapped to it
 * once, at the edge (the exception filter); handlers and deciders never build HTTP responses.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly errors: readonly IntercomErrorItem[],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(errors.map((error) => error.message).join('; '));
  }

  static of(status: number, code: string, message: string, field?: string): HttpProblem {
    return new HttpProblem(status, [{ code, message, ...(field !== undefined ? { field } : {}) }]);
  }
}

/**
 * Refusals of a search request (and of a segment rule, which is validated with the same errors).
 * `code` is the Intercom error code; `field` names the request property at fault, as every
 * refusal does, by the path its message names: a filter's key (`query.value[1].operator`,
 * `rule.field`), a group's part at fault (`query.value[1].value` too long or empty), a group or
 * filter itself (`rule.value[0].value[0]` nested too deep), the query (`query` holding too many
 * values in all), or `sort.order`, `pagination.starting_after`. Never the contact field a filter
 * searches, which messages name: it is no field of the body, and may share a name with one (a
 * segment's `name`). `path` locates the node inside the body.
 */
export type ContactSearchErrorCode =
  'parameter_invalid' | 'parameter_not_found' | 'invalid_sort_order';

export abstract class ContactSearchError extends Error {
  abstract readonly code: ContactSearchErrorCode;
  constructor(
    readonly field: string,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** A body, group, filter, sort or pagination object that is not shaped as the language says. */
export class MalformedSearchRequest extends ContactSearchError {
  override readonly name = 'MalformedSearchRequest';
  readonly code = 'parameter_invalid';
}

export class UnknownSearchField extends ContactSearchError {
  override readonly name = 'UnknownSearchField';
  readonly code = 'parameter_invalid';
  constructor(searched: string, path: string) {
    super(path, path, `Unknown search field '${searched}' at ${path}`);
  }
}

export class OperatorNotAllowed extends ContactSearchError {
  override readonly name = 'OperatorNotAllowed';
  readonly code = 'parameter_invalid';
  constructor(
    searched: string,
    path: string,
    readonly operator: string,
    readonly allowed: readonly string[],
  ) {
    super(
      path,
      path,
      `Operator '${operator}' is not supported for field '${searched}' at ${path}; supported: ${allowed.join(' ')}`,
    );
  }
}

/** A filter without an operator: it lacks one, rather than having one that does not fit. */
export class FilterOperatorRequired extends ContactSearchError {
  override readonly name = 'FilterOperatorRequired';
  readonly code = 'parameter_not_found';
  constructor(searched: string, path: string, allowed: readonly string[]) {
    super(
      path,
      path,
      `${path} is required; supported for field '${searched}': ${allowed.join(' ')}`,
    );
  }
}

/**
 * A part of the request the language requires, left out: the query, a filter's value, a group's
 * list. Sent as null or of the wrong type, it is invalid instead.
 */
export class SearchParameterRequired extends ContactSearchError {
  override readonly name = 'SearchParameterRequired';
  readonly code = 'parameter_not_found';
  constructor(path: string, message: string) {
    super(path, path, message);
  }
}

export class InvalidSearchValue extends ContactSearchError {
  override readonly name = 'InvalidSearchValue';
  readonly code = 'parameter_invalid';
  constructor(searched: string, path: string, expected: string) {
    super(path, path, `Invalid value for field '${searched}' at ${path}: expected ${expected}`);
  }
}

export class SearchQueryTooDeep extends ContactSearchError {
  override readonly name = 'SearchQueryTooDeep';
  readonly code = 'parameter_invalid';
  constructor(path: string, maxDepth: number) {
    super(
      path,
      path,
      `Query is nested too deeply at ${path}: at most ${maxDepth} levels of groups`,
    );
  }
}

/** Named by the group's list (`query.value[1].value`), as an empty list or an IN list too long is. */
export class TooManySearchFilters extends ContactSearchError {
  override readonly name = 'TooManySearchFilters';
  readonly code = 'parameter_invalid';
  constructor(listPath: string, count: number, max: number) {
    super(
      listPath,
      listPath,
      `${listPath} holds ${count} filters or groups; at most ${max} are allowed in a group`,
    );
  }
}

export class TooManySearchValues extends ContactSearchError {
  override readonly name = 'TooManySearchValues';
  readonly code = 'parameter_invalid';
  constructor(path: string, count: number, max: number) {
    super(path, path, `${path} holds ${count} values in all; at most ${max} are allowed`);
  }
}

export class InvalidSortOrder extends ContactSearchError {
  override readonly name = 'InvalidSortOrder';
  readonly code = 'invalid_sort_order';
  constructor(order: string) {
    super(
      'sort.order',
      'sort.order',
      `Sort order must be 'ascending' or 'descending', not '${order}'`,
    );
  }
}

/** A `starting_after` cursor that is garbled, edited, or from another query or sort. */
export class InvalidSearchCursor extends ContactSearchError {
  override readonly name = 'InvalidSearchCursor';
  readonly code = 'parameter_invalid';
  constructor(reason: string) {
    super(
      'pagination.starting_after',
      'pagination.starting_after',
      `Invalid starting_after cursor: ${reason}`,
    );
  }
}

/**
 * For a list that pages by query parameters (`GET /contacts?starting_after=`) through search:
 * its refusals name the parameter (`starting_after`), not the search body's path to it
 * (`pagination.starting_after`).
 */
export async function pagedByQueryParameters<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof ContactSearchError) || !error.field.startsWith('pagination.')) {
      throw error;
    }
    const parameter = error.field.slice('pagination.'.length);
    throw new MalformedSearchRequest(parameter, parameter, error.message);
  }
}

/** The workspace time zone is not an IANA name `Intl` knows (a configuration error, not the caller's). */
export class UnknownTimeZone extends Error {
  override readonly name = 'UnknownTimeZone';
  constructor(readonly timeZone: string) {
    super(`Unknown time zone '${timeZone}'`);
  }
}

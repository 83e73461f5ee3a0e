/**
 * The body of a route that takes no parameters beyond its path: none, or `{}`. A field sent is
 * refused by name, as on every route, rather than silently dropped.
 */
export class NoFieldsBody {}

import { ApiBody } from '@nestjs/swagger';

/**
 * The body of a route that takes no parameters beyond its path: none, or `{}`. A field sent is
 * refused by name, as on every route, rather than silently dropped.
 */
export class NoFieldsBody {}

/** The document's word for a `NoFieldsBody`: no body is needed, and `{}` is all one may be. */
export const TakesNoBody = () =>
  ApiBody({
    required: false,
    schema: { type: 'object', maxProperties: 0 },
    description: 'None, or an empty object',
  });

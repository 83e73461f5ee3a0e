import { applyDecorators } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { ApiOkResponse, ApiResponse } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

type JsonSchema = Readonly<Record<string, unknown>>;

/**
 * A Fastify route schema whose 200 answer is also the route's documented response at `/docs`:
 * the schema the compiled serializer writes with is the one users read, so they cannot drift.
 */
export const DocumentedRouteSchema = (schema: {
  readonly response: { readonly 200: JsonSchema };
}): MethodDecorator =>
  applyDecorators(
    RouteSchema(schema),
    ApiOkResponse({ schema: openApiSchemaOf(schema.response[200]) }),
  );

/**
 * A route's success answer (`status`, 200 by default) as the document describes it, for routes
 * that serialize without a route schema; the OpenAPI test checks real answers against it.
 */
export const DocumentedResponse = (schema: JsonSchema, status = 200): MethodDecorator =>
  ApiResponse({ status, description: 'Success', schema: openApiSchemaOf(schema) });

/** A JSON schema type that also takes null. */
export const nullable = (type: string) => ({ type: [type, 'null'] });

/**
 * JSON Schema (what Fastify reads) as OpenAPI 3.0 has it (what the document is): a type list
 * with `null` is one type marked `nullable`, and a list of several types is an `anyOf` of them,
 * each marked `nullable` when `null` is allowed (OpenAPI 3.0 reads `nullable` only beside a `type`).
 */
export function openApiSchemaOf(schema: JsonSchema): SchemaObject {
  const converted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties') {
      converted[key] = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([name, property]) => [
          name,
          openApiSchemaOf(property),
        ]),
      );
    } else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) {
      converted[key] = openApiSchemaOf(value as JsonSchema);
    } else if (key === 'oneOf' || key === 'anyOf') {
      converted[key] = (value as JsonSchema[]).map(openApiSchemaOf);
    } else if (key !== 'type') {
      converted[key] = value;
    }
  }
  const types = schema.type === undefined ? [] : ([schema.type].flat() as string[]);
  const nonNull = types.filter((type) => type !== 'null');
  const nullable = nonNull.length < types.length ? { nullable: true } : {};
  if (nonNull.length === 1) return { type: nonNull[0], ...converted, ...nullable };
  if (nonNull.length === 0) return { ...converted, ...nullable };
  return { anyOf: nonNull.map((type) => ({ type, ...nullable })), ...converted };
}

import Ajv, { type ValidateFunction } from 'ajv';

/** An OpenAPI 3.0 schema object, as much of it as the tests read. */
export interface Schema {
  readonly type?: string;
  readonly nullable?: boolean;
  readonly properties?: Record<string, Schema>;
  readonly items?: Schema;
  readonly additionalProperties?: boolean | Schema;
  readonly $ref?: string;
  readonly [keyword: string]: unknown;
}

export interface OpenApiDocument {
  readonly components?: { readonly schemas?: Record<string, Schema> };
}

/**
 * An OpenAPI 3.0 schema as the JSON Schema ajv reads: `nullable` beside a `type` adds `null` to
 * it (and nowhere else: OpenAPI 3.0 gives it no meaning without one), `$ref`s to the document's
 * components are inlined, and OpenAPI's own keywords are dropped. With `closed`, an object that
 * lists its properties has no others: the documented fields are all the fields.
 */
export function jsonSchemaOf(
  schema: Schema,
  document: OpenApiDocument = {},
  options: { readonly closed?: boolean } = {},
): Record<string, unknown> {
  const convert = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(convert);
    if (typeof node !== 'object' || node === null) return node;
    const record = node as Schema;
    if (record.$ref !== undefined) {
      const name = record.$ref.replace('#/components/schemas/', '');
      const target = document.components?.schemas?.[name];
      if (target === undefined) throw new Error(`${record.$ref} is not in the document`);
      return convert(target);
    }
    const converted: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(record)) {
      if (['nullable', 'example', 'examples', 'xml', 'externalDocs', 'deprecated'].includes(key))
        continue;
      converted[key] =
        key === 'properties'
          ? Object.fromEntries(
              Object.entries(value as Record<string, unknown>).map(([name, property]) => [
                name,
                convert(property),
              ]),
            )
          : convert(value);
    }
    if (record.nullable === true && typeof record.type === 'string') {
      converted.type = [record.type, 'null'];
      if (Array.isArray(record.enum) && !record.enum.includes(null))
        converted.enum = [...(record.enum as unknown[]), null];
    }
    if (
      options.closed === true &&
      record.properties !== undefined &&
      record.additionalProperties === undefined
    )
      converted.additionalProperties = false;
    return converted;
  };
  return convert(schema) as Record<string, unknown>;
}

/** A validator of values against an OpenAPI 3.0 schema of `document` (see `jsonSchemaOf`). */
export function validatorOf(
  schema: Schema,
  document: OpenApiDocument = {},
  options: { readonly closed?: boolean } = {},
): ValidateFunction {
  // Formats (uri, email) are descriptions here, not checked; unknown keywords are OpenAPI's.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile(jsonSchemaOf(schema, document, options));
}

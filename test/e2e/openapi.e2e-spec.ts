import { validatorOf, type Schema } from '../support/openapi-schema';
import { ACME_TOKEN, startTestApp, type TestApp } from '../support/test-app';

describe('OpenAPI at /docs', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestApp();
  });
  afterAll(() => service.close());

  it('serves the UI and a document that describes every endpoint, without a token', async () => {
    const ui = await fetch(`${service.baseUrl}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');

    const response = await fetch(`${service.baseUrl}/docs/json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(document.openapi).toMatch(/^3\./);
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations).toEqual(
      expect.arrayContaining([
        'POST /contacts',
        'GET /contacts',
        'GET /contacts/{id}',
        'PUT /contacts/{id}',
        'DELETE /contacts/{id}',
        'POST /contacts/search',
        'POST /contacts/merge',
        'GET /contacts/find_by_external_id/{external_id}',
        'POST /contacts/{id}/archive',
        'POST /contacts/{id}/unarchive',
        'POST /contacts/{id}/block',
        'GET /data_attributes',
        'POST /data_attributes',
        'PUT /data_attributes/{data_attribute_id}',
        'GET /health/live',
        'GET /health/ready',
        'GET /admin/projections',
        'POST /admin/projections/{name}/rebuild',
      ]),
    );
  });

  it('documents the contact the contact routes answer, request bodies, the version header and the token', async () => {
    type Schema = {
      type?: string;
      nullable?: boolean;
      properties?: Record<string, Schema>;
      items?: Schema;
    };
    type Operation = {
      parameters?: Array<{ name: string; in: string }>;
      requestBody?: { content: Record<string, { schema: Schema }> };
      responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
    };
    const document = (await (await fetch(`${service.baseUrl}/docs/json`)).json()) as {
      paths: Record<string, Record<string, Operation>>;
      components: { securitySchemes: Record<string, Record<string, unknown>> };
    };
    const answer = (path: string, method: string) =>
      document.paths[path]![method]!.responses['200']!.content!['application/json']!.schema;
    // The contact object: the schema the serializer writes with, in OpenAPI's terms.
    const contact = answer('/contacts/{id}', 'get');
    expect(contact.properties!.email).toEqual({ type: 'string', nullable: true });
    expect(contact.properties!.role).toEqual({ type: 'string' });
    expect(answer('/contacts', 'post').properties).toEqual(contact.properties);
    expect(answer('/contacts/search', 'post').properties!.data!.items!.properties).toEqual(
      contact.properties,
    );
    // A response for an actual contact has exactly the documented fields.
    const created = await fetch(`${service.baseUrl}/contacts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ACME_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'documented@example.com' }),
    });
    expect(Object.keys((await created.json()) as object).sort()).toEqual(
      Object.keys(contact.properties!)
        .filter((name) => name !== 'merge_history')
        .sort(),
    );
    for (const [path, field] of [
      ['/contacts/search', 'query'],
      ['/messenger/events', 'events'],
    ] as const) {
      const body = document.paths[path]!.post!.requestBody!.content['application/json']!.schema;
      expect(body.properties).toHaveProperty(field);
    }
    expect(document.paths['/contacts/{id}']!.get!.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'Intercom-Version', in: 'header' })]),
    );
    expect(document.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    expect(document.components.securitySchemes.bearer!.bearerFormat).not.toBe('JWT');
    // Refusals answer the envelope, on every operation.
    for (const methods of Object.values(document.paths)) {
      for (const operation of Object.values(methods)) {
        const envelope = operation.responses.default!.content!['application/json']!.schema;
        expect(envelope.properties!.errors!.items!.properties).toHaveProperty('field');
      }
    }
  });

  it('marks no request body required on the routes that take none', async () => {
    const document = (await (await fetch(`${service.baseUrl}/docs/json`)).json()) as {
      paths: Record<string, Record<string, { requestBody?: { required?: boolean } }>>;
    };
    for (const [path, method] of [
      ['/contacts/{id}', 'delete'],
      ['/contacts/{id}/archive', 'post'],
      ['/contacts/{id}/unarchive', 'post'],
      ['/contacts/{id}/block', 'post'],
      ['/segments/{id}', 'delete'],
      ['/admin/projections/{name}/rebuild', 'post'],
      ['/admin/projections/{name}/retry', 'post'],
    ] as const) {
      expect([path, document.paths[path]![method]!.requestBody?.required ?? false]).toEqual([
        path,
        false,
      ]);
    }
    // As documented: no body at all is taken.
    const created = await service.request('/contacts', { method: 'POST', json: { role: 'lead' } });
    const { id } = (await created.json()) as { id: string };
    const archived = await service.request(`/contacts/${id}/archive`, { method: 'POST' });
    expect(archived.status).toBe(200);
  });

  it('types what the service takes: unix seconds and page sizes as integers, flags as true/false', async () => {
    type Parameter = { name: string; in: string; schema?: Record<string, unknown> };
    const document = (await (await fetch(`${service.baseUrl}/docs/json`)).json()) as {
      info: { version: string; description: string };
      paths: Record<string, Record<string, { parameters?: Parameter[] }>>;
    };
    const parameters = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).flatMap(([method, operation]) =>
        (operation.parameters ?? []).map((parameter) => ({
          at: `${method.toUpperCase()} ${path} ${parameter.name}`,
          ...parameter,
        })),
      ),
    );
    const schemaOf = (name: string) =>
      parameters
        .filter((parameter) => parameter.name === name)
        .map(({ at, schema }) => [at, schema]);
    for (const name of ['per_page', 'page', 'as_of']) {
      for (const [at, schema] of schemaOf(name))
        expect([at, schema]).toEqual([at, expect.objectContaining({ type: 'integer' })]);
    }
    // No parameter is a fraction anywhere.
    expect(parameters.filter((parameter) => parameter.schema?.type === 'number')).toEqual([]);
    for (const [at, schema] of schemaOf('include_count'))
      expect([at, schema]).toEqual([at, expect.objectContaining({ enum: ['true', 'false'] })]);
    // The version a request without Intercom-Version is answered as.
    expect(document.info.version).toBe('2.14');
    expect(document.info.description).toContain('2.16');
  });

  it('lets null through where the service answers null', async () => {
    const document = (await (await fetch(`${service.baseUrl}/docs/json`)).json()) as {
      paths: Record<
        string,
        Record<
          string,
          { responses: Record<string, { content?: Record<string, { schema: Schema }> }> }
        >
      >;
    };
    const contact =
      document.paths['/contacts/{id}']!.get!.responses['200']!.content!['application/json']!.schema;
    const validate = validatorOf(contact.properties!.owner_id!);
    for (const value of [null, 7, 'admin-7'])
      expect([value, validate(value)]).toEqual([value, true]);
    expect(validate(true)).toBe(false);
    // `nullable` counts only beside a `type` in OpenAPI 3.0: no schema relies on it elsewhere.
    const loose: string[] = [];
    const visit = (schema: unknown, at: string): void => {
      if (typeof schema !== 'object' || schema === null) return;
      const record = schema as Record<string, unknown>;
      if (record.nullable === true && record.type === undefined) loose.push(at);
      for (const [key, value] of Object.entries(record)) visit(value, `${at}/${key}`);
    };
    visit(document.paths, '#/paths');
    expect(loose).toEqual([]);
  });
});

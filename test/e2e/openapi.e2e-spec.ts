import { type OpenApiDocument, type Schema, validatorOf } from '../support/openapi-schema';
import { ACME_TOKEN, ADMIN_TOKEN, startTestApp, type TestApp } from '../support/test-app';

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
        'POST /admin/projections/{name}/verify',
        'GET /admin/projections/{name}/verify',
        'GET /analytics/lifecycle',
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
    // Health and metrics are no part of Intercom's API and ignore the header.
    for (const path of ['/health/live', '/health/ready', '/metrics']) {
      const names = (document.paths[path]!.get!.parameters ?? []).map(({ name }) => name);
      expect({ path, names }).toEqual({ path, names: [] });
      expect(document.paths[path]!.get).not.toHaveProperty('x-public-route');
    }
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
      ['/admin/projections/{name}/verify', 'post'],
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
    for (const name of ['include_count', 'include_merge_history', 'summary']) {
      expect([name, schemaOf(name)]).toEqual([name, expect.arrayContaining([expect.anything()])]);
      for (const [at, schema] of schemaOf(name))
        expect([at, schema]).toEqual([at, expect.objectContaining({ enum: ['true', 'false'] })]);
    }
    // The version a request without Intercom-Version is answered as.
    expect(document.info.version).toBe('2.14');
    expect(document.info.description).toContain('2.16');
  });

  it('bounds what the service bounds: the page GET /contacts starts at', async () => {
    type Parameter = { name: string; in: string; schema?: Record<string, unknown> };
    const document = (await (await fetch(`${service.baseUrl}/docs/json`)).json()) as {
      paths: Record<string, Record<string, { parameters?: Parameter[] }>>;
    };
    const page = document.paths['/contacts']!.get!.parameters!.find(({ name }) => name === 'page');
    expect(page?.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 1_000_000 });
    // The lists whose pages.next offers it as GET /contacts's does take it as that route does.
    for (const path of ['/segments/{id}/contacts', '/segments/{id}/history']) {
      const documented = document.paths[path]!.get!.parameters!.find(({ name }) => name === 'page');
      expect([path, documented]).toEqual([path, page]);
    }
    // As documented: the last page it names is taken, the next refused by name.
    const last = await service.request('/contacts?page=1000000');
    expect(last.status).toBe(200);
    const past = await service.request('/contacts?page=1000001');
    expect([past.status, await past.text()]).toEqual([
      400,
      expect.stringContaining('"field":"page"'),
    ]);
  });

  it('takes in the search body the nulls the service takes as left out (README: a null order is the default)', async () => {
    const document = (await (
      await fetch(`${service.baseUrl}/docs/json`)
    ).json()) as OpenApiDocument & {
      paths: Record<
        string,
        Record<string, { requestBody: { content: Record<string, { schema: Schema }> } }>
      >;
    };
    const validate = validatorOf(
      document.paths['/contacts/search']!.post!.requestBody.content['application/json']!.schema,
      document,
    );
    const query = { field: 'role', operator: '=', value: 'user' };
    for (const body of [
      { query, sort: { field: 'created_at', order: null } },
      { query, sort: null, pagination: null },
      { query, pagination: { per_page: null, starting_after: null } },
    ]) {
      const searched = await service.request('/contacts/search', { method: 'POST', json: body });
      expect([body, searched.status, validate(body)]).toEqual([body, 200, true]);
    }
    // What the service refuses, the document refuses too.
    for (const body of [
      { query, sort: { order: 'sideways' } },
      { query, sort: { field: null } },
      { query, pagination: { per_page: 151 } },
    ]) {
      const searched = await service.request('/contacts/search', { method: 'POST', json: body });
      expect([body, searched.status, validate(body)]).toEqual([body, 400, false]);
    }
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

  describe('success answers', () => {
    type Operation = {
      parameters?: Array<{ name: string; in: string }>;
      responses: Record<
        string,
        { content?: Record<string, { schema: Schema }>; headers?: Record<string, unknown> }
      >;
    };
    type Document = OpenApiDocument & { paths: Record<string, Record<string, Operation>> };
    const documentOf = async () =>
      (await (await fetch(`${service.baseUrl}/docs/json`)).json()) as Document;
    /** The routes whose success answer has an empty body, as Intercom's do. */
    const EMPTY_ANSWERS = ['POST /events', 'POST /events/summaries'];

    it('are documented for every operation, with a schema of what each answers', async () => {
      const document = await documentOf();
      const undocumented = Object.entries(document.paths).flatMap(([path, methods]) =>
        Object.entries(methods)
          .filter(([method, operation]) => {
            const success = Object.entries(operation.responses).filter(([status]) =>
              /^2\d\d$/.test(status),
            );
            if (EMPTY_ANSWERS.includes(`${method.toUpperCase()} ${path}`))
              return success.length !== 1 || success[0]![1].content !== undefined;
            return !success.some(([, response]) =>
              Object.values(response.content ?? {}).some((media) => media.schema !== undefined),
            );
          })
          .map(([method]) => `${method.toUpperCase()} ${path}`),
      );
      expect(undocumented).toEqual([]);
    });

    it("fit the service's real answers, on a route of every controller", async () => {
      const document = await documentOf();
      const misfits: unknown[] = [];
      const answered = new Set<string>();
      /** Sends the request and checks its answer against what its operation documents. */
      const call = async (
        method: string,
        template: string,
        path: string,
        init: { json?: unknown; token?: string; headers?: Record<string, string> } = {},
      ): Promise<Record<string, unknown>> => {
        const response = await service.request(path, { method, ...init });
        const text = await response.text();
        const at = `${method} ${template} (${response.status})`;
        answered.add(`${method} ${template}`);
        const documented =
          document.paths[template]?.[method.toLowerCase()]?.responses[String(response.status)];
        if (response.status >= 300 || documented === undefined) {
          misfits.push([at, 'undocumented or unsuccessful', text.slice(0, 300)]);
          return {};
        }
        // The headers the API sends beside a body are those the answer documents.
        const documentedHeaders = Object.keys(documented.headers ?? {}).map((name) =>
          name.toLowerCase(),
        );
        const sent = [...response.headers.keys()].filter((name) =>
          /^(x-position|retry-after|x-ratelimit-.*)$/.test(name),
        );
        if (sent.sort().join() !== documentedHeaders.sort().join())
          misfits.push([at, 'headers', sent, documentedHeaders]);
        if (EMPTY_ANSWERS.includes(`${method} ${template}`)) {
          if (text !== '' || documented.content !== undefined) misfits.push([at, text]);
          return {};
        }
        const mediaType = response.headers.get('content-type')!.split(';')[0]!;
        const media = Object.entries(documented.content ?? {}).find(
          ([type]) => type.split(';')[0] === mediaType,
        )?.[1];
        if (media === undefined) {
          misfits.push([at, `${mediaType} is not documented`]);
          return {};
        }
        if (mediaType !== 'application/json') {
          if (media.schema.type !== 'string') misfits.push([at, media.schema]);
          return {};
        }
        const body = JSON.parse(text) as Record<string, unknown>;
        const validate = validatorOf(media.schema, document, { closed: true });
        if (!validate(body)) misfits.push([at, validate.errors]);
        return body;
      };

      const now = Math.floor(Date.now() / 1000);
      const user = await call('POST', '/contacts', '/contacts', {
        json: { role: 'user', email: 'fit@example.com', external_id: 'fit-1', owner_id: 7 },
      });
      const lead = await call('POST', '/contacts', '/contacts', {
        json: { role: 'lead', email: 'fit@example.com', phone: '+15550100' },
      });
      await call('POST', '/contacts/merge', '/contacts/merge', {
        json: { from: lead.id, into: user.id },
      });
      const other = await call('POST', '/contacts', '/contacts', { json: { role: 'lead' } });
      const gone = await call('POST', '/contacts', '/contacts', { json: { role: 'lead' } });
      const byUser = (route: string, query = '') =>
        call('GET', `/contacts/{id}/${route}`, `/contacts/${String(user.id)}/${route}${query}`);
      await call(
        'GET',
        '/contacts/{id}',
        `/contacts/${String(user.id)}?include_merge_history=true`,
      );
      const merges = await call(
        'GET',
        '/contacts/{id}/merge_history',
        `/contacts/${String(user.id)}/merge_history`,
        {
          headers: { 'Intercom-Version': '2.16' },
        },
      );
      const timeline = await byUser('timeline', '?per_page=1');
      for (const route of ['tags', 'subscriptions', 'companies', 'notes']) await byUser(route);
      for (const action of ['archive', 'unarchive', 'block']) {
        await call('POST', `/contacts/{id}/${action}`, `/contacts/${String(other.id)}/${action}`);
      }
      await call('DELETE', '/contacts/{id}', `/contacts/${String(gone.id)}`);

      const segment = await call('POST', '/segments', '/segments', {
        json: {
          name: 'Fitting users',
          rule: { field: 'email', operator: '=', value: 'fit@example.com' },
        },
      });
      const segmentPath = `/segments/${String(segment.id)}`;
      await call('GET', '/segments', '/segments?include_count=true');
      await call('GET', '/segments/{id}', segmentPath);
      await call('PUT', '/segments/{id}', segmentPath, {
        json: { name: 'Fitting users, renamed' },
      });
      await call('POST', '/segments/preview', '/segments/preview', {
        json: { rule: { field: 'role', operator: '=', value: 'user' } },
      });
      await call('GET', '/segments/{id}/contacts', `${segmentPath}/contacts`);
      await call('GET', '/segments/{id}/contacts', `${segmentPath}/contacts?as_of=${now}`);
      const history = await call(
        'GET',
        '/segments/{id}/history',
        `${segmentPath}/history?per_page=1`,
      );
      await byUser('segments');
      await call('DELETE', '/segments/{id}', segmentPath);

      const ingested = await call('POST', '/messenger/events', '/messenger/events', {
        json: {
          events: [
            { id: 'fit-seen', type: 'visitor.seen', occurred_at: now, visitor_id: 'fit-visitor' },
          ],
        },
      });
      expect(ingested.results).toEqual([expect.objectContaining({ status: 'accepted' })]);
      await call('GET', '/visitors', '/visitors?user_id=fit-visitor');
      await call('PUT', '/visitors', '/visitors', {
        json: { user_id: 'fit-visitor', name: 'Fitting visitor' },
      });
      await call('POST', '/conversations', '/conversations', {
        json: { from: { type: 'user', id: user.id }, body: 'Hello' },
      });
      await call('POST', '/visitors/convert', '/visitors/convert', {
        json: { type: 'lead', visitor: { user_id: 'fit-visitor' }, user: {} },
      });

      await call('POST', '/events', '/events', {
        json: { event_name: 'fitted', created_at: now, user_id: 'fit-1', metadata: { size: 'M' } },
      });
      await call('POST', '/events/summaries', '/events/summaries', {
        json: {
          user_id: 'fit-1',
          event_summaries: { event_name: 'fitted', count: 2, first: now - 60, last: now },
        },
      });
      const events = `/events?type=user&intercom_user_id=${String(user.id)}`;
      const list = await call('GET', '/events', `${events}&per_page=1`);
      const summary = await call('GET', '/events', `${events}&summary=true`);
      await call('GET', '/data_attributes', '/data_attributes');
      await call(
        'GET',
        '/analytics/lifecycle',
        `/analytics/lifecycle?from=${now - 86_400}&to=${now}`,
      );
      await call('GET', '/export/events', '/export/events?type=UserCreated');

      for (const path of ['/health/live', '/health/ready', '/metrics'])
        await call('GET', path, path);
      await call('GET', '/admin/projections', '/admin/projections', { token: ADMIN_TOKEN });
      const verifying = '/admin/projections/data_events/verify';
      await call('POST', '/admin/projections/{name}/verify', verifying, { token: ADMIN_TOKEN });
      await call('GET', '/admin/projections/{name}/verify', verifying, { token: ADMIN_TOKEN });
      await call(
        'POST',
        '/admin/projections/{name}/rebuild',
        '/admin/projections/contacts/rebuild',
        {
          token: ADMIN_TOKEN,
        },
      );

      expect(misfits).toEqual([]);
      // The lists checked held items to check.
      for (const items of [merges.data, timeline.data, history.data, list.events, summary.events])
        expect(items).toHaveLength(1);
      // At least one operation of every tag (controller group) was answered and checked.
      const tagsOf = (key: string) => {
        const [method, path] = key.split(' ') as [string, string];
        return (document.paths[path]![method.toLowerCase()] as { tags?: string[] }).tags ?? [];
      };
      const allTags = new Set(
        Object.entries(document.paths).flatMap(([path, methods]) =>
          Object.keys(methods).flatMap((method) => tagsOf(`${method.toUpperCase()} ${path}`)),
        ),
      );
      expect(new Set([...answered].flatMap(tagsOf))).toEqual(allTags);
    });

    it('document the headers the API reads and sends beside them', async () => {
      const document = await documentOf();
      // Reads of every controller take X-Min-Position: they refuse a bad one by its name.
      for (const [template, path] of [
        ['/contacts', '/contacts'],
        ['/contacts/{id}', '/contacts/000000000000000000000000'],
        ['/contacts/{id}/tags', '/contacts/000000000000000000000000/tags'],
        ['/segments', '/segments'],
        ['/contacts/{id}/segments', '/contacts/000000000000000000000000/segments'],
        ['/visitors', '/visitors?user_id=nobody'],
        ['/events', '/events?type=user&user_id=nobody'],
        ['/data_attributes/{id}/values', '/data_attributes/name/values'],
      ] as const) {
        const refused = await service.request(path, { headers: { 'X-Min-Position': 'soon' } });
        expect([path, refused.status, await refused.text()]).toEqual([
          path,
          400,
          expect.stringContaining('"field":"X-Min-Position"'),
        ]);
        expect([path, document.paths[template]!.get!.parameters]).toEqual([
          path,
          expect.arrayContaining([
            expect.objectContaining({ name: 'X-Min-Position', in: 'header' }),
          ]),
        ]);
      }
      // Any operation may answer 503 with when to retry; ingestion 429 with its rate limit.
      for (const [path, methods] of Object.entries(document.paths)) {
        for (const [method, operation] of Object.entries(methods)) {
          expect([method, path, Object.keys(operation.responses['503']?.headers ?? {})]).toEqual([
            method,
            path,
            expect.arrayContaining(['Retry-After']),
          ]);
        }
      }
      expect(
        Object.keys(document.paths['/messenger/events']!.post!.responses['429']!.headers!).sort(),
      ).toEqual(['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']);
    });
  });
});

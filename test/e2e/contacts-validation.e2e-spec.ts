import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { eventually } from '../support/eventually';
import { ACME_TOKEN, GLOBEX_TOKEN, startTestApp, type TestApp } from '../support/test-app';
import { EVENT_STORE, type EventStore } from '../../src/shared/event-store/event-store.port';
import { contactStreamId } from '../../src/shared/stream-names';

interface ErrorList {
  type: string;
  request_id: string;
  errors: Array<{ code: string; message: string; field?: string }>;
}

/**
 * Every refusal answers the Intercom envelope with the right status and code, names the field,
 * and changes nothing: the contact reads back exactly as before, and no contact appears.
 */
describe('Contacts API refusals change nothing', () => {
  let service: TestApp;
  let user: { id: string };
  let lead: { id: string };
  let snapshot: unknown;

  beforeAll(async () => {
    service = await startTestApp();
    const created = await service.request('/data_attributes', {
      method: 'POST',
      json: { name: 'tier', model: 'contact', data_type: 'string' },
    });
    expect(created.status).toBe(200);
    const options = await service.request('/data_attributes', {
      method: 'POST',
      json: {
        name: 'size',
        model: 'contact',
        data_type: 'options',
        options: [{ value: 'small' }, { value: 'large' }],
      },
    });
    expect(options.status).toBe(200);
    await service.request('/data_attributes', {
      method: 'POST',
      json: { name: 'seats', model: 'contact', data_type: 'integer' },
    });
    user = await json(
      service.request('/contacts', {
        method: 'POST',
        json: {
          external_id: 'valid-user',
          email: 'valid@example.com',
          name: 'Valid',
          custom_attributes: { tier: 'gold' },
        },
      }),
    );
    lead = await json(
      service.request('/contacts', { method: 'POST', json: { role: 'lead', name: 'A lead' } }),
    );
    await json(
      service.request('/contacts', { method: 'POST', json: { external_id: 'taken-elsewhere' } }),
    );
    snapshot = await current(user.id);
  });
  afterAll(() => service.close());

  async function json<T>(response: Promise<Response>): Promise<T> {
    const answered = await response;
    expect(answered.status).toBe(200);
    return (await answered.json()) as T;
  }

  async function current(id: string): Promise<unknown> {
    return json(service.request(`/contacts/${id}?include_merge_history=true`));
  }

  async function contactCount(): Promise<number> {
    return (await json<{ total_count: number }>(service.request('/contacts'))).total_count;
  }

  async function expectRefusal(
    response: Promise<Response>,
    status: number,
    code: string,
    field: string | undefined,
  ): Promise<ErrorList> {
    const answered = await response;
    const body = (await answered.json()) as ErrorList;
    expect({ status: answered.status, type: body.type }).toEqual({ status, type: 'error.list' });
    expect(body.request_id).toEqual(expect.any(String));
    expect(body.errors[0]).toMatchObject({ code, ...(field !== undefined ? { field } : {}) });
    return body;
  }

  describe('create', () => {
    it.each([
      [
        'an unknown body field',
        { email: 'new@example.com', favourite_colour: 'blue' },
        400,
        'parameter_invalid',
        'favourite_colour',
      ],
      [
        'a role that does not exist',
        { role: 'admin', email: 'new@example.com' },
        400,
        'parameter_invalid',
        'role',
      ],
      ['an email of the wrong type', { email: 42 }, 400, 'parameter_invalid', 'email'],
      ['an empty email', { role: 'user', email: '' }, 400, 'parameter_invalid', 'email'],
      [
        'a signed_up_at no store can hold',
        { email: 'new@example.com', signed_up_at: 1e308 },
        400,
        'parameter_invalid',
        'signed_up_at',
      ],
      [
        'a last_seen_at past year 9999',
        { email: 'new@example.com', last_seen_at: 2 ** 63 },
        400,
        'parameter_invalid',
        'last_seen_at',
      ],
      [
        'a last_seen_at in the year 2100',
        { email: 'new@example.com', last_seen_at: 4_102_444_800 },
        400,
        'parameter_invalid',
        'last_seen_at',
      ],
      [
        'an email with spaces around it',
        { email: '  padded@example.com ' },
        400,
        'parameter_invalid',
        'email',
      ],
      ['an email with two @', { email: 'a@b@example.com' }, 400, 'parameter_invalid', 'email'],
      [
        'an avatar that is no URL',
        { email: 'new@example.com', avatar: 'not a url' },
        400,
        'parameter_invalid',
        'avatar',
      ],
      [
        'an avatar URL without a host, which the URL parser would give one',
        { role: 'lead', avatar: 'http:x.com' },
        400,
        'parameter_invalid',
        'avatar',
      ],
      ['an empty external_id', { external_id: '' }, 400, 'parameter_invalid', 'external_id'],
      [
        'a custom attribute named like a prototype key',
        { email: 'new@example.com', custom_attributes: { constructor: 'x' } },
        400,
        'parameter_invalid',
        'custom_attributes.constructor',
      ],
      [
        'an owner_id that is no admin id',
        { role: 'lead', owner_id: 'abc' },
        400,
        'parameter_invalid',
        'owner_id',
      ],
      ['a negative owner_id', { role: 'lead', owner_id: -3 }, 400, 'parameter_invalid', 'owner_id'],
      [
        'an owner_id spelled with leading zeros',
        { role: 'lead', owner_id: '0123' },
        400,
        'parameter_invalid',
        'owner_id',
      ],
      [
        'a negative signed_up_at',
        { email: 'new@example.com', signed_up_at: -5 },
        400,
        'parameter_invalid',
        'signed_up_at',
      ],
      [
        'an unknown custom attribute',
        { email: 'new@example.com', custom_attributes: { nope: 1 } },
        400,
        'parameter_invalid',
        'custom_attributes.nope',
      ],
      [
        'a custom attribute of the wrong type',
        { email: 'new@example.com', custom_attributes: { seats: 'many' } },
        400,
        'parameter_invalid',
        'custom_attributes.seats',
      ],
      [
        'a value outside the options',
        { email: 'new@example.com', custom_attributes: { size: 'huge' } },
        422,
        'data_invalid',
        'custom_attributes.size',
      ],
      [
        'a string over 255 characters',
        { email: 'new@example.com', custom_attributes: { tier: 'x'.repeat(256) } },
        422,
        'data_invalid',
        'custom_attributes.tier',
      ],
      [
        'an external_id another contact holds',
        { external_id: 'taken-elsewhere' },
        409,
        'conflict',
        undefined,
      ],
      ['an empty key', { email: 'new@example.com', '': 1 }, 400, 'parameter_invalid', '""'],
      [
        'an empty custom attribute name',
        { email: 'new@example.com', custom_attributes: { '': 1 } },
        400,
        'parameter_invalid',
        'custom_attributes.""',
      ],
    ])('refuses %s and creates nothing', async (_label, body, status, code, field) => {
      const before = await contactCount();
      await expectRefusal(
        service.request('/contacts', { method: 'POST', json: body }),
        status,
        code,
        field,
      );
      expect(await contactCount()).toBe(before);
    });

    it('refuses a create naming none of email, external_id and role', async () => {
      const before = await contactCount();
      const body = await expectRefusal(
        service.request('/contacts', { method: 'POST', json: { name: 'Nobody' } }),
        400,
        'parameter_not_found',
        undefined,
      );
      expect(body.errors[0]!.message).toMatch(/email.*external_id.*role/);
      expect(await contactCount()).toBe(before);
    });

    it('refuses a body that is not JSON and one over 1 MiB', async () => {
      const before = await contactCount();
      await expectRefusal(
        service.request('/contacts', {
          method: 'POST',
          body: '{"email":',
          headers: { 'content-type': 'application/json' },
        }),
        400,
        'parameter_invalid',
        undefined,
      );
      await expectRefusal(
        service.request('/contacts', {
          method: 'POST',
          json: { email: 'big@example.com', name: 'x'.repeat(1024 * 1024) },
        }),
        413,
        'request_entity_too_large',
        undefined,
      );
      expect(await contactCount()).toBe(before);
    });
  });

  describe('bodies', () => {
    it('refuses a body that is not JSON by its media type with 415, changing nothing', async () => {
      for (const [contentType, body] of [
        ['application/x-www-form-urlencoded', 'name=Formy'],
        ['text/plain', '{"name":"Formy"}'],
      ] as const) {
        await expectRefusal(
          service.request(`/contacts/${user.id}`, {
            method: 'PUT',
            body,
            headers: { 'content-type': contentType },
          }),
          415,
          'unsupported_media_type',
          undefined,
        );
      }
      expect(await current(user.id)).toEqual(snapshot);
    });

    it('reads query integers as decimal digits only', async () => {
      for (const perPage of ['0x10', '1e1', ' 5']) {
        await expectRefusal(
          service.request(`/contacts?per_page=${encodeURIComponent(perPage)}`),
          400,
          'parameter_invalid',
          'per_page',
        );
      }
      expect((await service.request('/contacts?per_page=16')).status).toBe(200);
    });

    it('refuses a query parameter given twice by its name, on every route', async () => {
      for (const [path, field] of [
        ['/contacts?per_page=1&per_page=2', 'per_page'],
        ['/events?type=user&user_id=a&user_id=b', 'user_id'],
        ['/segments?include_count=true&include_count=false', 'include_count'],
        ['/contacts?=1&=2', '""'],
      ] as const) {
        const answer = await service.request(path);
        expect(answer.status).toBe(400);
        const body = (await answer.json()) as { errors: Array<{ field: string; message: string }> };
        expect(body.errors[0]).toMatchObject({
          field,
          message: `${field} is given more than once`,
        });
      }
    });

    it('refuses a query parameter named after an Object.prototype member by its name, as any unknown one', async () => {
      for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
        for (const path of ['/contacts', '/segments', '/data_attributes']) {
          const answer = await service.request(`${path}?${name}=1`);
          expect({ path, name, status: answer.status }).toEqual({ path, name, status: 400 });
          const body = (await answer.json()) as { errors: Array<{ field: string }> };
          expect(body.errors[0]!.field).toBe(name);
        }
      }
      expect((await service.request('/contacts?foo=1')).status).toBe(400);
    });

    /** The request is refused 400 naming `field` of its query, with `message`. */
    async function expectQueryRefused(
      method: string,
      path: string,
      json: object | undefined,
      field: string,
      message: string,
    ) {
      const answer = await service.request(path, { method, ...(json ? { json } : {}) });
      const body = (await answer.json()) as ErrorList;
      expect({ path, status: answer.status, error: body.errors?.[0] }).toEqual({
        path,
        status: 400,
        error: { code: 'parameter_invalid', message, field },
      });
    }

    it('refuses a query parameter a route does not take by its name, on routes without a query DTO too, changing nothing', async () => {
      const before = await current(user.id);
      for (const [method, path, name, json] of [
        ['GET', `/contacts/${user.id}?as_f=1700000000`, 'as_f', undefined],
        ['GET', `/contacts/${user.id}?as_of=1700000000&toString=1`, 'toString', undefined],
        ['PUT', `/contacts/${user.id}?nme=x`, 'nme', { name: 'Changed' }],
        ['POST', `/contacts/${user.id}/archive?now=1`, 'now', undefined],
        ['GET', `/contacts/find_by_external_id/valid-user?x=1`, 'x', undefined],
        [
          'POST',
          '/contacts/search?per_page=5',
          'per_page',
          { query: { field: 'name', operator: '=', value: 'Valid' } },
        ],
        ['GET', `/contacts/${user.id}/segments?page=2`, 'page', undefined],
        // Routes with a query DTO name it alike.
        ['GET', '/contacts?per_pag=5', 'per_pag', undefined],
        ['GET', `/contacts/${user.id}/timeline?cursor=x`, 'cursor', undefined],
        // A name that is empty is spelled as JSON spells it, as an empty key of a body is.
        ['POST', '/contacts?=1', '""', { role: 'lead' }],
        ['GET', '/contacts?=1', '""', undefined],
      ] as const)
        await expectQueryRefused(method, path, json, name, `Unknown query parameter ${name}`);
      expect(await current(user.id)).toEqual(before);
      // The parameters the routes do take, and the routes outside Intercom's API.
      for (const path of [
        `/contacts/${user.id}?include_merge_history=true&as_of=${Math.floor(Date.now() / 1000)}`,
        '/contacts/find_by_external_id/valid-user?include_merge_history=false',
        '/health/live?probe=1',
        '/metrics?format=text',
      ])
        expect({ path, status: (await service.request(path)).status }).toEqual({
          path,
          status: 200,
        });
      // A value include_merge_history does not take is refused, not taken for false.
      for (const [method, path, json] of [
        ['GET', `/contacts/${user.id}?include_merge_history=ture`, undefined],
        ['GET', '/contacts/find_by_external_id/valid-user?include_merge_history=1', undefined],
        ['PUT', `/contacts/${user.id}?include_merge_history=yes`, { name: 'Changed' }],
        ['GET', '/contacts?include_merge_history=maybe', undefined],
      ] as const)
        await expectQueryRefused(
          method,
          path,
          json,
          'include_merge_history',
          'include_merge_history must be one of the following values: true, false',
        );
      expect(await current(user.id)).toEqual(before);
      // A stranger is told who it is not before what its query holds.
      const stranger = await service.request(`/contacts/${user.id}/segments?page=2`, {
        headers: { authorization: 'Bearer not-a-token-at-all' },
      });
      expect(stranger.status).toBe(401);
    });

    it('refuses an Intercom-Version Intercom does not have, changing nothing; serves Unstable as the newest', async () => {
      for (const [version, message] of [
        ['2.17', /must be one of 2\.0 to 2\.16 or Unstable/],
        ['two', /must be one of/],
        ['2.01', /must be one of/],
        ['02.16', /must be one of/],
        ['1.4', /not available in current API version/],
      ] as const) {
        const answer = await service.request(`/contacts/${user.id}`, {
          method: 'PUT',
          headers: { 'Intercom-Version': version },
          json: { name: 'Changed by a bad version' },
        });
        expect(answer.status).toBe(400);
        const body = (await answer.json()) as ErrorList;
        expect(body.type).toBe('error.list');
        expect(body.errors[0]).toMatchObject({
          code: 'intercom_version_invalid',
          field: 'Intercom-Version',
        });
        expect(body.errors[0]!.message).toMatch(message);
      }
      expect(await current(user.id)).toEqual(snapshot);
      // A stranger is told 401 first, whatever it asks for.
      for (const method of ['GET', 'PUT'] as const) {
        const stranger = await service.request(`/contacts/${user.id}`, {
          method,
          token: 'no-such-token-0001',
          headers: { 'Intercom-Version': '9.9' },
          ...(method === 'PUT' ? { json: { name: 'x' } } : {}),
        });
        expect({ method, status: stranger.status }).toEqual({ method, status: 401 });
      }
      for (const version of ['2.0', '2.16', 'Unstable', ' 2.14 ']) {
        const answer = await service.request(`/contacts/${user.id}`, {
          headers: { 'Intercom-Version': version },
        });
        expect(answer.status).toBe(200);
      }
      // Health and metrics are no part of Intercom's API: a proxy's header changes nothing there.
      for (const path of ['/health/live', '/health/ready', '/metrics']) {
        const answer = await fetch(`${service.baseUrl}${path}`, {
          headers: { 'Intercom-Version': '1.0' },
        });
        expect({ path, status: answer.status }).toEqual({ path, status: 200 });
      }
    });

    it('refuses a field, or a body that is no object, on routes that take none, changing nothing', async () => {
      const segment = await json<{ id: string }>(
        service.request('/segments', {
          method: 'POST',
          json: { name: 'No body', rule: { field: 'role', operator: '=', value: 'user' } },
        }),
      );
      for (const [method, path] of [
        ['POST', `/contacts/${user.id}/archive`],
        ['POST', `/contacts/${user.id}/unarchive`],
        ['DELETE', `/contacts/${user.id}`],
        ['DELETE', `/segments/${segment.id}`],
      ] as const) {
        await expectRefusal(
          service.request(path, { method, json: { zzz: 1, archived: false } }),
          400,
          'parameter_invalid',
          'zzz',
        );
        const notObject = await service.request(path, { method, json: [1, 2, 3] });
        expect({ path, status: notObject.status }).toEqual({ path, status: 400 });
      }
      expect(await current(user.id)).toEqual(snapshot);
      expect((await service.request(`/segments/${segment.id}`)).status).toBe(200);
      // No body, or an empty object, is what these routes take.
      await json(service.request(`/contacts/${user.id}/unarchive`, { method: 'POST', json: {} }));
      await json(service.request(`/segments/${segment.id}`, { method: 'DELETE' }));
    });

    it('takes an empty body under any content type as no body, where none is needed', async () => {
      const archived = await json<{ id: string }>(
        service.request('/contacts', { method: 'POST', json: { role: 'lead' } }),
      );
      // What `curl -X POST -d ''` sends.
      for (const [path, contentType] of [
        [`/contacts/${archived.id}/archive`, 'application/x-www-form-urlencoded'],
        [`/contacts/${archived.id}/unarchive`, 'text/plain'],
        [`/contacts/${archived.id}/archive`, 'application/json'],
      ] as const) {
        const answered = await service.request(path, {
          method: 'POST',
          body: '',
          headers: { 'content-type': contentType },
        });
        expect(answered.status).toBe(200);
      }
      // The same nothing, sent chunked: a stream that ends before its first byte.
      for (const contentType of ['application/json', undefined, 'text/plain']) {
        const answer = await rawExchange(
          service.baseUrl,
          `POST /contacts/${archived.id}/unarchive HTTP/1.1\r\nHost: x\r\n` +
            `Authorization: Bearer ${ACME_TOKEN}\r\nConnection: close\r\n` +
            (contentType === undefined ? '' : `Content-Type: ${contentType}\r\n`) +
            'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        );
        expect({ contentType, status: answer.slice(9, 12) }).toEqual({
          contentType,
          status: '200',
        });
      }
    });

    it('takes a request without Content-Length or Transfer-Encoding as one without a body, whatever its content type', async () => {
      const lead = await json<{ id: string }>(
        service.request('/contacts', { method: 'POST', json: { role: 'lead' } }),
      );
      // What `curl -X DELETE -H 'Content-Type: application/json'` sends: no body and no length.
      const bodiless = (method: string, path: string) =>
        new Promise<number>((resolve, reject) => {
          const url = new URL(path, service.baseUrl);
          const sent = httpRequest(url, {
            method,
            headers: { authorization: `Bearer ${ACME_TOKEN}`, 'content-type': 'application/json' },
          });
          sent.on('response', (answer) => {
            answer.resume();
            resolve(answer.statusCode ?? 0);
          });
          sent.on('error', reject);
          sent.end();
        });
      expect(await bodiless('POST', `/contacts/${lead.id}/archive`)).toBe(200);
      expect(await bodiless('DELETE', `/contacts/${lead.id}`)).toBe(200);
      expect((await service.request(`/contacts/${lead.id}`)).status).toBe(404);
    });

    it('answers requests the HTTP parser refuses in the envelope too', async () => {
      const { port } = new URL(service.baseUrl);
      const rawAnswer = (request: string) =>
        new Promise<{ status: number; body: unknown }>((resolve, reject) => {
          const socket = connect(Number(port), '127.0.0.1');
          let text = '';
          socket.on('data', (chunk) => (text += chunk.toString('utf8')));
          socket.on('error', reject);
          socket.on('close', () => {
            const [head = '', body = ''] = text.split('\r\n\r\n');
            resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(body) as unknown });
          });
          socket.write(request);
        });
      for (const [request, status] of [
        [`GET /contacts HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
        ['GET /contacts HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400],
        ['GET /con tacts HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ] as const) {
        const answer = await rawAnswer(request);
        expect(answer).toEqual({
          status,
          body: {
            type: 'error.list',
            request_id: expect.any(String) as unknown,
            errors: [{ code: 'parameter_invalid', message: expect.any(String) as unknown }],
          },
        });
      }
    });

    it('refuses a body in another charset than UTF-8, or compressed, with 415, creating nothing', async () => {
      const before = await contactCount();
      for (const headers of [
        { 'content-type': 'application/json; charset=iso-8859-1' } as Record<string, string>,
        { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      ]) {
        await expectRefusal(
          service.request('/contacts', {
            method: 'POST',
            headers,
            body: Buffer.from('{"role":"lead","name":"caf\xe9"}', 'latin1'),
          }),
          415,
          'unsupported_media_type',
          undefined,
        );
      }
      expect(await contactCount()).toBe(before);
      const utf8 = await service.request('/contacts', {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=UTF-8' },
        body: JSON.stringify({ role: 'lead', name: 'café' }),
      });
      expect(((await utf8.json()) as { name: string }).name).toBe('café');
    });

    it('refuses a request carrying two Authorization headers, whichever of them is valid', async () => {
      const twice = (first: string, second: string) =>
        new Promise<number>((resolve, reject) => {
          const sent = httpRequest(new URL('/contacts', service.baseUrl), { method: 'GET' });
          sent.setHeader('authorization', [`Bearer ${first}`, `Bearer ${second}`]);
          sent.on('response', (answer) => {
            answer.resume();
            resolve(answer.statusCode ?? 0);
          });
          sent.on('error', reject);
          sent.end();
        });
      expect(await twice(ACME_TOKEN, GLOBEX_TOKEN)).toBe(401);
      expect(await twice(ACME_TOKEN, 'not-a-token')).toBe(401);
      expect((await service.request('/contacts')).status).toBe(200);
    });

    it('refuses text PostgreSQL cannot store (NUL, unpaired surrogates) in bodies and URLs', async () => {
      const before = await contactCount();
      await expectRefusal(
        service.request('/contacts', { method: 'POST', json: { role: 'lead', name: 'a\u0000b' } }),
        400,
        'parameter_invalid',
        'name',
      );
      await expectRefusal(
        service.request('/contacts/search', {
          method: 'POST',
          json: { query: { field: 'name', operator: '=', value: '\u0000' } },
        }),
        400,
        'parameter_invalid',
        'query.value',
      );
      // Unpaired surrogates: PostgreSQL's jsonb refuses them, its text mangles them.
      await expectRefusal(
        service.request('/contacts', {
          method: 'POST',
          json: { email: 'lone@example.com', custom_attributes: { tier: 'v\ud800' } },
        }),
        400,
        'parameter_invalid',
        'custom_attributes.tier',
      );
      await expectRefusal(
        service.request(`/contacts/${user.id}`, { method: 'PUT', json: { name: 'x\udc00y' } }),
        400,
        'parameter_invalid',
        'name',
      );
      for (const path of ['/contacts/a%00b', '/visitors?user_id=a%00b']) {
        await expectRefusal(service.request(path), 400, 'parameter_invalid', undefined);
      }
      expect(await contactCount()).toBe(before);
    });

    it('refuses a body with a __proto__ key, naming where, and one that is not UTF-8, changing nothing', async () => {
      const before = await contactCount();
      const raw = (body: string | Buffer) =>
        service.request('/contacts', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
      // Written out: an object literal with a __proto__ key sets its prototype instead.
      await expectRefusal(
        raw('{"email": "proto@example.com", "custom_attributes": {"__proto__": {"tier": "gold"}}}'),
        400,
        'parameter_invalid',
        'custom_attributes.__proto__',
      );
      await expectRefusal(
        raw('{"email": "proto@example.com", "__proto__": {"role": "lead"}}'),
        400,
        'parameter_invalid',
        '__proto__',
      );
      await expectRefusal(
        raw(Buffer.concat([Buffer.from('{"name": "Ren'), Buffer.from([0xe9]), Buffer.from('e"}')])),
        400,
        'parameter_invalid',
        undefined,
      );
      expect(await contactCount()).toBe(before);
    });

    it('refuses body keys named after Object.prototype members as unknown fields, and a search without a body by its query', async () => {
      const before = await contactCount();
      await expectRefusal(
        service.request('/contacts', {
          method: 'POST',
          json: { role: 'lead', hasOwnProperty: 'x' },
        }),
        400,
        'parameter_invalid',
        'hasOwnProperty',
      );
      await expectRefusal(
        service.request('/contacts', { method: 'POST', json: { role: 'lead', toString: 'x' } }),
        400,
        'parameter_invalid',
        'toString',
      );
      await expectRefusal(
        service.request('/events/summaries', {
          method: 'POST',
          json: {
            user_id: 'nobody',
            event_summaries: { event_name: 'x', count: 1, first: 1, last: 2, valueOf: 3 },
          },
        }),
        400,
        'parameter_invalid',
        'event_summaries.valueOf',
      );
      for (const body of [undefined, '']) {
        await expectRefusal(
          service.request('/contacts/search', {
            method: 'POST',
            ...(body === undefined
              ? {}
              : { headers: { 'content-type': 'application/json' }, body }),
          }),
          400,
          // The query a search requires, left out: not found, as a filter's operator is.
          'parameter_not_found',
          'query',
        );
      }
      expect(await contactCount()).toBe(before);
    });

    it("answers URLs Fastify's router refuses (bad percent-encoding, an overlong path parameter) in the envelope, without echoing them", async () => {
      const long = 'a'.repeat(5000);
      for (const [method, path, status] of [
        ['GET', '/contacts/%E0%A4%A', 400],
        ['GET', `/contacts/${long}`, 414],
        ['POST', `/admin/projections/${long}/rebuild`, 414],
      ] as const) {
        const response = await service.request(path, { method });
        const text = await response.text();
        expect({ path: path.slice(0, 40), status: response.status }).toEqual({
          path: path.slice(0, 40),
          status,
        });
        expect(JSON.parse(text)).toMatchObject({
          type: 'error.list',
          request_id: expect.any(String),
          errors: [{ code: 'parameter_invalid' }],
        });
        expect(text).not.toContain('aaaaaaaaaa');
      }
    });

    it('refuses an X-Min-Position that is no position, or one the log has not reached', async () => {
      for (const path of [`/contacts/${user.id}`, '/contacts']) {
        // Waiting for a position beyond the log would end in a 503 after the timeout.
        for (const position of ['abc', '1'.repeat(45), '99999999']) {
          await expectRefusal(
            service.request(path, { headers: { 'x-min-position': position } }),
            400,
            'parameter_invalid',
            'X-Min-Position',
          );
        }
        expect((await service.request(path, { headers: { 'x-min-position': '1' } })).status).toBe(
          200,
        );
      }
    });

    it('refuses a body nested deeper than any request of the API with 400 naming the field that does, on every route', async () => {
      const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
      const before = await contactCount();
      for (const [method, path] of [
        ['POST', '/contacts'],
        ['POST', '/contacts/search'],
        ['POST', '/contacts/merge'],
        ['PUT', `/contacts/${user.id}`],
        ['POST', '/data_attributes'],
      ] as const) {
        const refused = await expectRefusal(
          service.request(path, {
            method,
            body: `{"email":"deep@example.com","name":${deep}}`,
            headers: { 'content-type': 'application/json' },
          }),
          400,
          'parameter_invalid',
          'name',
        );
        expect(refused.errors).toHaveLength(1);
        expect(refused.errors[0]!.message).toMatch(/more than 32 levels deep/);
      }
      // 33 levels: the body, custom_attributes and the 31 objects of x.
      const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      await expectRefusal(
        service.request('/contacts', {
          method: 'POST',
          body: `{"email":"deep@example.com","custom_attributes":{"x":${nested(31)}}}`,
          headers: { 'content-type': 'application/json' },
        }),
        400,
        'parameter_invalid',
        'custom_attributes',
      );
      expect(await contactCount()).toBe(before);
      expect(await current(user.id)).toEqual(snapshot);
    });

    it('refuses an object of more than 1000 members with one error naming it, on every route', async () => {
      const members = (count: number) =>
        Object.fromEntries(Array.from({ length: count }, (_, index) => [`k${index}`, 1]));
      const before = await contactCount();
      for (const [method, path, json, field] of [
        ['POST', '/contacts', members(60_000), undefined],
        ['PUT', `/contacts/${user.id}`, { custom_attributes: members(1001) }, 'custom_attributes'],
        ['POST', '/contacts/search', { query: members(1001) }, 'query'],
        ['POST', '/events', { event_name: 'e', user_id: 'u', metadata: members(1001) }, 'metadata'],
        ['POST', '/conversations', { from: members(1001), body: 'x' }, 'from'],
      ] as const) {
        const refused = await expectRefusal(
          service.request(path, { method, json }),
          400,
          'parameter_invalid',
          field,
        );
        expect(refused.errors).toHaveLength(1);
        expect(refused.errors[0]!.message).toMatch(/more than 1000 members/);
      }
      expect(await contactCount()).toBe(before);
      expect(await current(user.id)).toEqual(snapshot);
    });
  });

  it('finds a contact by an external_id of 255 characters, however long its URL encoding', async () => {
    const externalId = 'é'.repeat(255);
    const created = await json<{ id: string }>(
      service.request('/contacts', {
        method: 'POST',
        json: { external_id: externalId },
      }),
    );
    const found = await json<{ id: string }>(
      service.request(`/contacts/find_by_external_id/${encodeURIComponent(externalId)}`),
    );
    expect(found.id).toBe(created.id);
    await expectRefusal(
      service.request(`/contacts/${'f'.repeat(300)}`),
      404,
      'not_found',
      undefined,
    );
    await expectRefusal(
      service.request('/contacts/find_by_external_id/nobody-has-this'),
      404,
      'not_found',
      'external_id',
    );
  });

  describe('update', () => {
    it.each([
      ['a user turned back into a lead', { role: 'lead' }, 400, 'parameter_invalid', 'role'],
      [
        'an external_id another contact holds',
        { external_id: 'taken-elsewhere' },
        409,
        'conflict',
        undefined,
      ],
      [
        'an unknown custom attribute',
        { custom_attributes: { nope: true } },
        400,
        'parameter_invalid',
        'custom_attributes.nope',
      ],
      [
        'a value outside the options',
        { custom_attributes: { size: 'medium' } },
        422,
        'data_invalid',
        'custom_attributes.size',
      ],
      ['an unknown body field', { nickname: 'V' }, 400, 'parameter_invalid', 'nickname'],
      ['a name of the wrong type', { name: ['V'] }, 400, 'parameter_invalid', 'name'],
      [
        // Unbounded, it was stored, then failed the contacts projection on PostgreSQL for good.
        'a language_override over 255 characters',
        { language_override: 'x'.repeat(3000) },
        400,
        'parameter_invalid',
        'language_override',
      ],
      [
        'an external_id of spaces only',
        { external_id: '   ' },
        400,
        'parameter_invalid',
        'external_id',
      ],
      [
        'a last_seen_at in the year 2100',
        { last_seen_at: 4_102_444_800 },
        400,
        'parameter_invalid',
        'last_seen_at',
      ],
      [
        'an avatar URL of another scheme than http(s)',
        { avatar: 'javascript:alert(1)' },
        400,
        'parameter_invalid',
        'avatar',
      ],
      [
        'an avatar URL with an empty host',
        { avatar: 'https:///path' },
        400,
        'parameter_invalid',
        'avatar',
      ],
      [
        'an avatar URL with one slash before its host',
        { avatar: 'http:/x.com' },
        400,
        'parameter_invalid',
        'avatar',
      ],
    ])('refuses %s and leaves the contact as it was', async (_label, body, status, code, field) => {
      await expectRefusal(
        service.request(`/contacts/${user.id}`, { method: 'PUT', json: body }),
        status,
        code,
        field,
      );
      expect(await current(user.id)).toEqual(snapshot);
    });

    it('answers 404 for an unknown id', async () => {
      await expectRefusal(
        service.request('/contacts/ffffffffffffffffffffffff', {
          method: 'PUT',
          json: { name: 'Ghost' },
        }),
        404,
        'not_found',
        'id',
      );
    });
  });

  describe('merge', () => {
    it('forgets a merged lead with the user it was merged into, once that user is deleted', async () => {
      const merged = await json<{ id: string }>(
        service.request('/contacts', {
          method: 'POST',
          json: { role: 'lead', email: 'merged-then-gone@example.com', name: 'Gone Lead' },
        }),
      );
      const target = await json<{ id: string }>(
        service.request('/contacts', {
          method: 'POST',
          json: { external_id: 'merge-target-to-delete' },
        }),
      );
      await json(
        service.request('/contacts/merge', {
          method: 'POST',
          json: { from: merged.id, into: target.id },
        }),
      );
      for (const version of ['2.16', 'Unstable']) {
        const before = await service.request(`/contacts/${merged.id}`, {
          headers: { 'Intercom-Version': version },
        });
        expect(before.status).toBe(410);
      }
      await json(service.request(`/contacts/${target.id}`, { method: 'DELETE' }));
      for (const version of ['2.14', '2.16']) {
        await expectGone(merged.id, { 'Intercom-Version': version }, { archive: true });
      }
    });

    it('reopens a lead whose merge raced the deletion of its user: the refused merge changed nothing', async () => {
      const lead = await json<{ id: string }>(
        service.request('/contacts', {
          method: 'POST',
          json: { role: 'lead', email: 'raced@example.com', name: 'Raced Lead' },
        }),
      );
      const target = await json<{ id: string }>(
        service.request('/contacts', { method: 'POST', json: { external_id: 'raced-target' } }),
      );
      // The user is deleted after the merge checked it and before the lead was closed: the lead
      // is closed into a user that is gone, which refuses it; the process manager reopens it.
      await json(service.request(`/contacts/${target.id}`, { method: 'DELETE' }));
      const store = service.app.get<EventStore>(EVENT_STORE);
      const closed = await store.append(
        contactStreamId('acme', lead.id),
        [
          {
            id: randomUUID(),
            type: 'ContactMergedInto',
            data: {
              contactId: lead.id,
              workspaceId: 'acme',
              into: target.id,
              sourceRole: 'lead',
              mergedAt: Math.floor(Date.now() / 1000),
            },
            metadata: { workspaceId: 'acme', occurredAt: Date.now(), schemaVersion: 1 },
          },
        ],
        { expectedRevision: 'any' },
      );
      const reopened = await eventually(async () => {
        const response = await service.request(`/contacts/${lead.id}`, {
          headers: { 'Intercom-Version': '2.16', 'X-Min-Position': String(closed.position) },
        });
        return response.status === 200 ? ((await response.json()) as { role: string }) : undefined;
      });
      expect(reopened).toMatchObject({ role: 'lead', name: 'Raced Lead' });
    });

    /** GET and PUT (and archive) of the id answer 404 naming id. */
    async function expectGone(
      id: string,
      headers: Record<string, string>,
      options: { readonly archive?: boolean } = {},
    ): Promise<void> {
      for (const [path, method, body] of [
        [`/contacts/${id}`, 'GET', undefined],
        [`/contacts/${id}`, 'PUT', { name: 'Back?' }],
        ...(options.archive ? ([[`/contacts/${id}/archive`, 'POST', undefined]] as const) : []),
      ] as const) {
        await expectRefusal(
          service.request(path, { method, headers, ...(body ? { json: body } : {}) }),
          404,
          'not_found',
          'id',
        );
      }
    }

    it('answers 404 naming from or into for a contact that does not exist', async () => {
      const leadBefore = await current(lead.id);
      const unknown = '6b0000000000000000000000';
      for (const [body, field] of [
        [{ from: unknown, into: user.id }, 'from'],
        [{ from: lead.id, into: unknown }, 'into'],
      ] as const) {
        await expectRefusal(
          service.request('/contacts/merge', { method: 'POST', json: body }),
          404,
          'not_found',
          field,
        );
      }
      expect(await current(user.id)).toEqual(snapshot);
      expect(await current(lead.id)).toEqual(leadBefore);
    });

    it('refuses merging a user, and merging into a lead, changing neither side', async () => {
      const leadBefore = await current(lead.id);
      await expectRefusal(
        service.request('/contacts/merge', {
          method: 'POST',
          json: { from: user.id, into: lead.id },
        }),
        400,
        'invalid_merge',
        'from',
      );
      await expectRefusal(
        service.request('/contacts/merge', {
          method: 'POST',
          json: { from: lead.id, into: lead.id },
        }),
        400,
        'invalid_merge',
        'into',
      );
      expect(await current(user.id)).toEqual(snapshot);
      expect(await current(lead.id)).toEqual(leadBefore);
    });

    it('from Intercom-Version 2.16, refuses a lead that shares neither email nor phone, unless told to skip the check', async () => {
      const leadBefore = await current(lead.id);
      const mergeOn216 = (body: object) =>
        service.request('/contacts/merge', {
          method: 'POST',
          headers: { 'Intercom-Version': '2.16' },
          json: { from: lead.id, into: user.id, ...body },
        });
      const refused = await expectRefusal(mergeOn216({}), 400, 'invalid_merge', undefined);
      expect(refused.errors[0]!.message).toContain('skip_duplicate_validation');
      await expectRefusal(
        mergeOn216({ skip_duplicate_validation: 'yes' }),
        400,
        'parameter_invalid',
        'skip_duplicate_validation',
      );
      expect(await current(user.id)).toEqual(snapshot);
      expect(await current(lead.id)).toEqual(leadBefore);

      const duplicate = await json<{ id: string }>(
        service.request('/contacts', {
          method: 'POST',
          json: { role: 'lead', email: 'VALID@example.com' },
        }),
      );
      const merged = await mergeOn216({ from: duplicate.id });
      expect(merged.status).toBe(200);
      const skipped = await mergeOn216({ skip_duplicate_validation: true });
      expect(skipped.status).toBe(200);
      expect(
        (
          (await current(user.id)) as { merge_history: Array<{ source_contact_id: string }> }
        ).merge_history
          .map((item) => item.source_contact_id)
          .sort(),
      ).toEqual([duplicate.id, lead.id].sort());
      snapshot = await current(user.id);
    });
  });

  describe('search', () => {
    it.each([
      [
        'an unknown field',
        { query: { field: 'shoe_size', operator: '=', value: 9 } },
        'parameter_invalid',
        'query.field',
      ],
      [
        'an operator that does not fit the field',
        { query: { field: 'created_at', operator: '~', value: 1 } },
        'parameter_invalid',
        'query.operator',
      ],
      [
        'a value of the wrong type',
        { query: { field: 'unsubscribed_from_emails', operator: '=', value: 'yes' } },
        'parameter_invalid',
        'query.value',
      ],
      [
        'a query nested too deep',
        {
          query: {
            operator: 'AND',
            value: [
              {
                operator: 'OR',
                value: [{ operator: 'AND', value: [{ field: 'name', operator: '=', value: 'x' }] }],
              },
            ],
          },
        },
        'parameter_invalid',
        'query.value[0].value[0]',
      ],
      [
        'a sort order that does not exist',
        {
          query: { field: 'name', operator: '=', value: 'x' },
          sort: { field: 'name', order: 'upwards' },
        },
        'invalid_sort_order',
        'sort.order',
      ],
      [
        'a tampered cursor',
        {
          query: { field: 'name', operator: '=', value: 'x' },
          pagination: { starting_after: 'bm90LWEtY3Vyc29y' },
        },
        'parameter_invalid',
        'pagination.starting_after',
      ],
    ])('refuses %s with 400', async (_label, body, code, field) => {
      await expectRefusal(
        service.request('/contacts/search', { method: 'POST', json: body }),
        400,
        code,
        field,
      );
    });

    it('names the query parameter of a list that pages through search: starting_after', async () => {
      const segment = await json<{ id: string }>(
        service.request('/segments', {
          method: 'POST',
          json: { name: 'Cursor check', rule: { field: 'email', operator: 'exists' } },
        }),
      );
      for (const path of ['/contacts', `/segments/${segment.id}/contacts`]) {
        await expectRefusal(
          service.request(`${path}?starting_after=bm90LWEtY3Vyc29y`),
          400,
          'parameter_invalid',
          'starting_after',
        );
      }
    });

    it('names per_page and starting_after as sent on every list, the search body by its path', async () => {
      const segment = await json<{ id: string }>(
        service.request('/segments', {
          method: 'POST',
          json: { name: 'Page size check', rule: { field: 'email', operator: 'exists' } },
        }),
      );
      for (const path of ['/contacts', `/segments/${segment.id}/contacts`]) {
        for (const [query, field] of [
          ['per_page=0', 'per_page'],
          ['per_page=151', 'per_page'],
          ['per_page=abc', 'per_page'],
          ['starting_after=', 'starting_after'],
        ] as const) {
          await expectRefusal(service.request(`${path}?${query}`), 400, 'parameter_invalid', field);
        }
      }
      await expectRefusal(
        service.request('/contacts/search', {
          method: 'POST',
          json: {
            query: { field: 'name', operator: '=', value: 'x' },
            pagination: { per_page: 151 },
          },
        }),
        400,
        'parameter_invalid',
        'pagination.per_page',
      );
    });
  });

  it('does not let the Contacts API write to a visitor, except to delete it', async () => {
    const ingested = await service.request('/messenger/events', {
      method: 'POST',
      json: {
        events: [
          {
            id: 'visitor-behind-contacts-api',
            type: 'visitor.seen',
            occurred_at: Math.floor(Date.now() / 1000) - 10,
            visitor_id: 'anonymous-visitor-1',
          },
        ],
      },
    });
    const { results } = (await ingested.json()) as {
      results: Array<{ status: string; contact_id: string }>;
    };
    expect(results[0]!.status).toBe('accepted');
    const visitorId = results[0]!.contact_id;
    const visitorBefore = await (
      await service.request(`/visitors?user_id=anonymous-visitor-1`)
    ).json();
    await expectRefusal(
      service.request(`/contacts/${visitorId}`, { method: 'PUT', json: { name: 'Not a contact' } }),
      404,
      'not_found',
      'id',
    );
    await expectRefusal(
      service.request(`/contacts/${visitorId}/archive`, { method: 'POST' }),
      404,
      'not_found',
      'id',
    );
    expect(await (await service.request(`/visitors?user_id=anonymous-visitor-1`)).json()).toEqual(
      visitorBefore,
    );
    // The Visitors API has no delete: erasing a visitor's data goes through the Contacts API.
    const deleted = await service.request(`/contacts/${visitorId}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({
      type: 'contact',
      id: visitorId,
      external_id: null,
      deleted: true,
    });
    await expectRefusal(
      service.request(`/visitors?user_id=anonymous-visitor-1`),
      404,
      'not_found',
      'user_id',
    );
  });

  it('answers 401 with the envelope for a missing or unknown token', async () => {
    await expectRefusal(
      service.request('/contacts', { token: 'not-a-token' }),
      401,
      'unauthorized',
      undefined,
    );
    const anonymous = await fetch(`${service.baseUrl}/contacts`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('refuses a stranger before reading the body: 401, not what the body would have earned', async () => {
    const post = (headers: Record<string, string>, body: string | Buffer) =>
      fetch(`${service.baseUrl}/contacts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    const bodies: Array<[Record<string, string>, string | Buffer]> = [
      [{}, '{"email": '],
      [{}, JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) })],
      [{ 'content-encoding': 'gzip' }, Buffer.from([0x1f, 0x8b, 0x08, 0x00])],
      [{ 'content-type': 'text/plain; charset=latin1' }, 'name=x'],
    ];
    for (const [headers, body] of bodies) {
      const strangers: Array<Record<string, string>> = [
        {},
        { authorization: 'Bearer not-a-token' },
      ];
      for (const authorization of strangers) {
        const answer = await post({ ...headers, ...authorization }, body);
        expect(answer.status).toBe(401);
        expect(await answer.json()).toMatchObject({ errors: [{ code: 'unauthorized' }] });
      }
    }
    // With a token, the same bodies earn their own refusals.
    const withToken = await post({ authorization: `Bearer ${ACME_TOKEN}` }, '{"email": ');
    expect(withToken.status).toBe(400);
  });

  it("closes a stranger's connection with the 401 rather than taking in the body it did not read", async () => {
    const answer = await rawExchange(
      service.baseUrl,
      'POST /contacts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n10\r\n{"email": "a@b.c\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(answer).toMatch(/\r\nwww-authenticate: Bearer\r\n/i);
  });
});

describe('a request that stops arriving midway', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestApp({ REQUEST_TIMEOUT_MS: '1000' });
  });
  afterAll(() => service.close());

  it('is answered 408 in the envelope once REQUEST_TIMEOUT_MS has passed, and its connection closed', async () => {
    const before = await service.request('/contacts');
    const { total_count: count } = (await before.json()) as { total_count: number };
    const answer = await rawExchange(
      service.baseUrl,
      `POST /contacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ACME_TOKEN}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email":',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({
      type: 'error.list',
      errors: [{ code: 'request_timeout' }],
    });
    const after = await service.request('/contacts');
    expect(((await after.json()) as { total_count: number }).total_count).toBe(count);
  });
});

/**
 * Sends `request` on a connection of its own and reads everything until the server closes it, or
 * until 10 s pass without a byte (then what came so far: a connection held open fails the test).
 */
function rawExchange(baseUrl: string, request: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let received = '';
    socket.setTimeout(10_000, () => socket.destroy());
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

describe('dates in search match whole days in the workspace time zone', () => {
  it('counts the day in WORKSPACE_TIME_ZONES, and in UTC for other workspaces', async () => {
    // 2024-01-01T12:00:00Z is already 2024-01-02 in Kiritimati (UTC+14).
    const signedUpAt = Date.UTC(2024, 0, 1, 12) / 1000;
    const laterThatKiritimatiDay = Date.UTC(2024, 0, 2, 0, 30) / 1000;
    const service = await startTestApp({ WORKSPACE_TIME_ZONES: 'acme:Pacific/Kiritimati' });
    try {
      for (const token of [ACME_TOKEN, GLOBEX_TOKEN]) {
        const created = await service.request('/contacts', {
          method: 'POST',
          token,
          json: { external_id: 'tz-user', signed_up_at: signedUpAt },
        });
        expect(created.status).toBe(200);
      }
      const sameDay = {
        query: { field: 'signed_up_at', operator: '=', value: laterThatKiritimatiDay },
      };
      const inKiritimati = await service.request('/contacts/search', {
        method: 'POST',
        json: sameDay,
      });
      const inUtc = await service.request('/contacts/search', {
        method: 'POST',
        json: sameDay,
        token: GLOBEX_TOKEN,
      });
      expect(((await inKiritimati.json()) as { total_count: number }).total_count).toBe(1);
      expect(((await inUtc.json()) as { total_count: number }).total_count).toBe(0);
    } finally {
      await service.close();
    }
  });
});

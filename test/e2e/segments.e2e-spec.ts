import { EVENT_STORE, type EventStore } from '../../src/shared/event-store/event-store.port';
import { eventually } from '../support/eventually';
import { GLOBEX_TOKEN, startTestApp, type TestApp } from '../support/test-app';

const DAY = 86_400;

interface Segment {
  id: string;
  name: string;
  person_type: string;
  count?: number;
  rule_version?: number;
}
interface ContactList {
  type: string;
  data: Array<{ id: string }>;
  total_count: number;
  pages: { next?: { starting_after: string } };
}
interface History {
  type: string;
  data: Array<{
    contact_id: string;
    change: string;
    effective_at: number;
    cause: { type: string; event_id?: string; event_type?: string; deadline?: number };
    rule_version: number;
  }>;
}

describe('segments API (e2e)', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  const json = async <T>(response: Response, status = 200): Promise<T> => {
    const body = (await response.json()) as T;
    expect({ status: response.status, body }).toMatchObject({ status });
    return body;
  };
  const createContact = async (body: Record<string, unknown>) =>
    json<{ id: string }>(await app.request('/contacts', { method: 'POST', json: body }));
  const createSegment = async (body: Record<string, unknown>) =>
    json<Segment>(await app.request('/segments', { method: 'POST', json: body }));
  const members = async (segmentId: string, query = '') =>
    json<ContactList>(await app.request(`/segments/${segmentId}/contacts${query}`));
  /** The time the contact is first seen out of the segment's members. */
  const whenLeft = (segmentId: string, contactId: string) =>
    eventually(
      async () => {
        const current = await members(segmentId);
        return current.data.some((c) => c.id === contactId) ? undefined : Date.now();
      },
      10_000,
      'the contact to leave the segment',
    );
  const history = async (segmentId: string) =>
    json<History>(await app.request(`/segments/${segmentId}/history`));

  it('refuses a bad rule with the errors search gives the same query', async () => {
    for (const query of [
      { field: 'nope', operator: '=', value: 'x' },
      { field: 'email', operator: '>', value: 3 },
      { field: 'signed_up_at', operator: '=', value: 'soon' },
      // Past year 9999 no calendar day exists to compare by.
      { field: 'signed_up_at', operator: '>', value: 9_000_000_000_000 },
      { operator: 'AND', value: [] },
    ]) {
      const refused = await app.request('/segments', {
        method: 'POST',
        json: { name: 'bad', rule: query },
      });
      const searched = await app.request('/contacts/search', { method: 'POST', json: { query } });
      expect(refused.status).toBe(400);
      // Same code and field (the path under the body's `rule` where search's is under its
      // `query`); a rule's message also lists the rule operators.
      const errorsOf = async (response: Response) =>
        ((await response.json()) as { errors: Array<{ code: string; field?: string }> }).errors.map(
          ({ code, field }) => ({ code, field: field?.replace(/^query\b/, 'rule') }),
        );
      expect(await errorsOf(refused)).toEqual(await errorsOf(searched));
    }
    const malformed = await app.request('/segments', {
      method: 'POST',
      json: { name: 'bad', rule: { operator: 'AND', value: [] } },
    });
    expect(((await malformed.json()) as { errors: Array<{ field?: string }> }).errors[0]).toEqual(
      expect.objectContaining({
        field: 'rule.value',
        message: expect.stringContaining('rule.value must be'),
      }),
    );
    // A filter's refusal names the path to its part at fault, not the contact field it searches
    // (`name` here, which is also the segment's own field).
    const nested = await app.request('/segments', {
      method: 'POST',
      json: {
        name: 'x',
        rule: {
          operator: 'AND',
          value: [
            { field: 'email', operator: 'exists' },
            {
              operator: 'OR',
              value: [
                { field: 'email', operator: 'exists' },
                { field: 'name', operator: '<', value: 3 },
              ],
            },
          ],
        },
      },
    });
    expect(nested.status).toBe(400);
    expect(((await nested.json()) as { errors: Array<{ field?: string }> }).errors).toEqual([
      expect.objectContaining({
        code: 'parameter_invalid',
        field: 'rule.value[1].value[1].operator',
      }),
    ]);
    // A filter without an operator lacks it: not found, as search answers it.
    for (const [path, body] of [
      ['/segments', { name: 'x', rule: { field: 'email', value: 'a' } }],
      ['/segments/preview', { rule: { field: 'email', value: 'a' } }],
      ['/contacts/search', { query: { field: 'email', value: 'a' } }],
    ] as const) {
      const answer = await app.request(path, { method: 'POST', json: body });
      const root = path === '/contacts/search' ? 'query' : 'rule';
      expect({ status: answer.status, body: await answer.json() }).toEqual({
        status: 400,
        body: expect.objectContaining({
          errors: [
            {
              code: 'parameter_not_found',
              field: `${root}.operator`,
              message: expect.stringMatching(new RegExp(`^${root}\\.operator is required`)),
            },
          ],
        }),
      });
    }
    // Limits of the rule's shape name their place in it: the list too long, the group too deep.
    const filter = { field: 'name', operator: '=', value: 'x' };
    for (const [rule, field] of [
      [{ operator: 'OR', value: Array.from({ length: 16 }, () => filter) }, 'rule.value'],
      [
        {
          operator: 'OR',
          value: [{ operator: 'AND', value: [{ operator: 'OR', value: [filter] }] }],
        },
        'rule.value[0].value[0]',
      ],
    ] as const) {
      const crowded = await app.request('/segments', {
        method: 'POST',
        json: { name: 'bad', rule },
      });
      expect(crowded.status).toBe(400);
      expect(((await crowded.json()) as { errors: Array<{ field?: string }> }).errors[0]).toEqual(
        expect.objectContaining({ field }),
      );
    }
    const relative = await app.request('/segments', {
      method: 'POST',
      json: { name: 'bad', rule: { field: 'email', operator: 'less_than_days_ago', value: 7 } },
    });
    expect(relative.status).toBe(400);
    const unknownField = await app.request('/segments', {
      method: 'POST',
      json: { name: 'x', rule: { field: 'email', operator: 'exists' }, colour: 'red' },
    });
    expect(unknownField.status).toBe(400);
    const preview = await app.request('/segments/preview', {
      method: 'POST',
      json: { rule: { field: 'signed_up_at', operator: '>', value: 1e13 } },
    });
    expect(preview.status).toBe(400);
    // Nothing refused reached the projections: they still serve.
    expect((await app.request('/health/ready')).status).toBe(200);
  });

  it("answers a search's query, a filter's value or a group's list left out as not found, on every route taking one", async () => {
    const valid = { field: 'email', operator: '=', value: 'a' };
    const { id } = await createSegment({ name: 'Left out', rule: valid });
    const notFound = async (
      answer: Promise<Response>,
      field: string,
      message: string | RegExp = new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')} is required`),
    ) => {
      const response = await answer;
      expect({ field, status: response.status, body: await response.json() }).toEqual({
        field,
        status: 400,
        body: expect.objectContaining({
          errors: [{ code: 'parameter_not_found', field, message: expect.stringMatching(message) }],
        }),
      });
    };
    await notFound(
      app.request('/contacts/search', { method: 'POST', json: {} }),
      'query',
      /^'query' is required$/,
    );
    await notFound(
      app.request('/contacts/search', { method: 'POST' }),
      'query',
      /^'query' is required$/,
    );
    const routes = [
      ['POST', '/contacts/search', 'query', {}],
      ['POST', '/segments', 'rule', { name: 'left out' }],
      ['PUT', `/segments/${id}`, 'rule', {}],
      ['POST', '/segments/preview', 'rule', {}],
    ] as const;
    for (const [shape, path] of [
      [{ field: 'email', operator: '=' }, 'value'],
      [{ field: 'role', operator: 'IN' }, 'value'],
      [
        { operator: 'AND', value: [valid, { field: 'created_at', operator: '>' }] },
        'value[1].value',
      ],
      [{ operator: 'AND', value: [valid, { operator: 'OR' }] }, 'value[1].value'],
    ] as const) {
      for (const [method, route, root, rest] of routes)
        await notFound(
          app.request(route, { method, json: { ...rest, [root]: shape } }),
          `${root}.${path}`,
        );
    }
    // A value sent as null where none is taken is invalid, not missing.
    for (const [method, route, root, rest] of routes) {
      const answer = await app.request(route, {
        method,
        json: { ...rest, [root]: { field: 'role', operator: 'IN', value: null } },
      });
      expect({ route, status: answer.status, body: await answer.json() }).toEqual({
        route,
        status: 400,
        body: expect.objectContaining({
          errors: [expect.objectContaining({ code: 'parameter_invalid', field: `${root}.value` })],
        }),
      });
    }
  });

  it("names a refusal of a rule's or a query's shape by the path its message names, on every route taking one", async () => {
    const valid = { field: 'email', operator: '=', value: 'a' };
    const { id } = await createSegment({ name: 'Shape check', rule: valid });
    const inSecondGroup = (second: unknown) => ({ operator: 'AND', value: [valid, second] });
    const routes = [
      ['POST', '/contacts/search', 'query', {}],
      ['POST', '/segments', 'rule', { name: 'bad' }],
      ['PUT', `/segments/${id}`, 'rule', {}],
      ['POST', '/segments/preview', 'rule', {}],
    ] as const;
    for (const [shape, path] of [
      [inSecondGroup({ operator: 'OR', value: [] }), 'value[1].value'],
      [inSecondGroup({ operator: 'OR', value: [valid, 7] }), 'value[1].value[1]'],
      [inSecondGroup({ operator: 'OR', value: [valid, null] }), 'value[1].value[1]'],
      [inSecondGroup({ operator: 'NAND', value: [valid] }), 'value[1].operator'],
      [{ operator: 'AND', value: 'notalist' }, 'value'],
      [
        inSecondGroup({ operator: 'OR', value: Array.from({ length: 16 }, () => valid) }),
        'value[1].value',
      ],
      [
        inSecondGroup({ operator: 'OR', value: [{ operator: 'AND', value: [valid] }] }),
        'value[1].value[0]',
      ],
      [
        inSecondGroup({
          field: 'email',
          operator: 'IN',
          value: Array.from({ length: 501 }, () => 'a'),
        }),
        'value[1].value',
      ],
    ] as const) {
      for (const [method, route, root, rest] of routes) {
        const answer = await app.request(route, { method, json: { ...rest, [root]: shape } });
        const field = `${root}.${path}`;
        expect({ route, field, status: answer.status, body: await answer.json() }).toEqual({
          route,
          field,
          status: 400,
          body: expect.objectContaining({
            errors: [
              {
                code: 'parameter_invalid',
                field,
                message: expect.stringContaining(field),
              },
            ],
          }),
        });
      }
    }
  });

  /**
   * Three users named `<prefix> A`, `B` and `C` and a segment of those whose name starts with the
   * prefix, in another workspace, so that the other tests' counts stay their own.
   */
  async function segmentOfThreeUsers(prefix: string): Promise<Segment> {
    const token = GLOBEX_TOKEN;
    for (const name of ['A', 'B', 'C'].map((letter) => `${prefix} ${letter}`))
      await json(
        await app.request('/contacts', { method: 'POST', token, json: { role: 'user', name } }),
      );
    return json<Segment>(
      await app.request('/segments', {
        method: 'POST',
        token,
        json: { name: prefix, rule: { field: 'name', operator: '^', value: prefix } },
      }),
    );
  }

  it('pages a history as every list pages: total_count, page, total_pages and the next page', async () => {
    const token = GLOBEX_TOKEN;
    const segment = await segmentOfThreeUsers('Paged');
    type Page = History & {
      total_count: number;
      pages: {
        page: number;
        per_page: number;
        total_pages: number;
        next?: Record<string, unknown>;
      };
    };
    const first = await json<Page>(
      await app.request(`/segments/${segment.id}/history?per_page=2`, { token }),
    );
    expect(first.data).toHaveLength(2);
    expect(first).toMatchObject({
      total_count: 3,
      pages: { page: 1, per_page: 2, total_pages: 2, next: { page: 2 } },
    });
    const cursor = encodeURIComponent(String(first.pages.next!.starting_after));
    const second = await json<Page>(
      await app.request(`/segments/${segment.id}/history?per_page=2&starting_after=${cursor}`, {
        token,
      }),
    );
    expect(second.data).toHaveLength(1);
    expect(second).toMatchObject({ total_count: 3, pages: { page: 2, total_pages: 2 } });
    expect(second.pages.next).toBeUndefined();
    expect(new Set([...first.data, ...second.data].map((row) => row.contact_id)).size).toBe(3);
    // An instant past year 9999 is no instant any column holds.
    const beyond = await app.request(`/segments/${segment.id}/contacts?as_of=9223372036854775807`, {
      token,
    });
    expect(beyond.status).toBe(400);
    // Nor is a future instant one the history can answer (deadlines may fire before it).
    const future = await app.request(
      `/segments/${segment.id}/contacts?as_of=${Math.floor(Date.now() / 1000) + 3600}`,
      { token },
    );
    expect({ status: future.status, body: await future.json() }).toMatchObject({
      status: 400,
      body: { errors: [{ code: 'parameter_invalid', field: 'as_of' }] },
    });
  });

  it('takes back every field of its pages.next, and a numbered page, as GET /contacts does (members and history)', async () => {
    const token = GLOBEX_TOKEN;
    const segment = await segmentOfThreeUsers('Numbered');
    type Listed = {
      data: Array<{ id?: string; contact_id?: string; change?: string }>;
      pages: { page: number; next?: { page: number; starting_after: string } };
    };
    const listed = async (route: string, query: string) =>
      json<Listed>(await app.request(`/segments/${segment.id}/${route}?${query}`, { token }));
    const rowsOf = (page: Listed) => page.data.map((row) => row.id ?? row.contact_id);
    const errorsOf = (body: unknown) => (body as { errors?: unknown }).errors;
    for (const route of ['contacts', 'history']) {
      const first = await listed(route, 'per_page=1');
      const next = first.pages.next!;
      expect([route, next.page]).toEqual([route, 2]);
      const cursor = encodeURIComponent(next.starting_after);
      const byCursor = await listed(route, `per_page=1&starting_after=${cursor}`);
      // Every field of pages.next sent back: the page the cursor opens.
      const everyField = await listed(
        route,
        `per_page=1&page=${next.page}&starting_after=${cursor}`,
      );
      expect([route, everyField]).toEqual([route, byCursor]);
      // A cursor carries its own page, and wins over a page that disagrees, as on GET /contacts.
      expect([route, await listed(route, `per_page=1&page=7&starting_after=${cursor}`)]).toEqual([
        route,
        byCursor,
      ]);
      // A numbered page alone starts there, and goes on from there.
      const second = await listed(route, 'per_page=1&page=2');
      expect([route, second.pages.page, rowsOf(second)]).toEqual([route, 2, rowsOf(byCursor)]);
      const third = await listed(
        route,
        `per_page=1&page=${second.pages.next!.page}&starting_after=${encodeURIComponent(second.pages.next!.starting_after)}`,
      );
      expect([route, third.pages.page, rowsOf(third)]).toEqual([
        route,
        3,
        rowsOf(await listed(route, 'per_page=1&page=3')),
      ]);
      expect(rowsOf(third)).toHaveLength(1);
      expect(new Set([...rowsOf(first), ...rowsOf(second), ...rowsOf(third)]).size).toBe(3);
      // Past the last page: none, as on GET /contacts.
      expect((await listed(route, 'per_page=1&page=1000000')).data).toEqual([]);
      // Refused as GET /contacts refuses it: the same answer, naming `page`.
      for (const page of ['0', '1000001', 'two', '1.5', '2&page=3']) {
        const refused = await app.request(`/segments/${segment.id}/${route}?page=${page}`, {
          token,
        });
        const contacts = await app.request(`/contacts?page=${page}`, { token });
        const answer = { status: refused.status, body: (await refused.json()) as object };
        expect({ route, page, status: answer.status, errors: errorsOf(answer.body) }).toEqual({
          route,
          page,
          status: contacts.status,
          errors: errorsOf(await contacts.json()),
        });
        expect(answer).toMatchObject({
          status: 400,
          body: { errors: [{ code: 'parameter_invalid', field: 'page' }] },
        });
      }
    }
  });

  it('takes a history cursor only in the listing that made it, and only with values its columns hold', async () => {
    const token = GLOBEX_TOKEN;
    const members = [];
    for (const name of ['Scoped A', 'Scoped B'])
      members.push(
        await json<{ id: string }>(
          await app.request('/contacts', { method: 'POST', token, json: { role: 'user', name } }),
        ),
      );
    const create = async (name: string, prefix: string) =>
      json<Segment>(
        await app.request('/segments', {
          method: 'POST',
          token,
          json: { name, rule: { field: 'name', operator: '^', value: prefix } },
        }),
      );
    const scoped = await create('Scoped', 'Scoped');
    const empty = await create('Scoped none', 'Nobody is called this');
    const history = (segmentId: string, query: string) =>
      app.request(`/segments/${segmentId}/history?${query}`, { token });
    const first = await json<History & { pages: { next: { starting_after: string } } }>(
      await history(scoped.id, 'per_page=1'),
    );
    const cursor = first.pages.next.starting_after;
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const forge = (changes: Record<string, unknown>) =>
      encodeURIComponent(
        Buffer.from(JSON.stringify({ ...decoded, ...changes })).toString('base64url'),
      );
    for (const [segmentId, query] of [
      [empty.id, `starting_after=${encodeURIComponent(cursor)}`],
      [scoped.id, `contact_id=${members[0]!.id}&starting_after=${encodeURIComponent(cursor)}`],
      [scoped.id, `starting_after=${forge({ seq: 2 ** 31 })}`],
      [scoped.id, `starting_after=${forge({ seq: -1 })}`],
      [scoped.id, `starting_after=${forge({ contactId: 'a\u0000' })}`],
      [scoped.id, `starting_after=${forge({ segment: 5 })}`],
      [scoped.id, `starting_after=${forge({ contact: 42 })}`],
    ] as const) {
      const refused = await history(segmentId, query);
      expect({ query, status: refused.status }).toEqual({ query, status: 400 });
      expect(await refused.json()).toMatchObject({
        errors: [{ code: 'parameter_invalid', field: 'starting_after' }],
      });
    }
    // A segment that does not exist is not found, cursor or not.
    const unknown = await history(
      '0123456789abcdef01234567',
      `starting_after=${forge({ segment: '0123456789abcdef01234567' })}`,
    );
    expect(unknown.status).toBe(404);
    // An empty history has no pages, as an empty list of members has none.
    expect(await json(await history(empty.id, ''))).toMatchObject({
      total_count: 0,
      pages: { page: 1, total_pages: 0 },
    });
  });

  it('refuses to archive a custom attribute a segment filters on, until the segment is gone', async () => {
    const attribute = await json<{ id: number }>(
      await app.request('/data_attributes', {
        method: 'POST',
        json: { name: 'dependant_tier', model: 'contact', data_type: 'string' },
      }),
    );
    const segment = await createSegment({
      name: 'Gold tier',
      rule: { field: 'custom_attributes.dependant_tier', operator: '=', value: 'gold' },
    });
    const archive = () =>
      app.request(`/data_attributes/${attribute.id}`, { method: 'PUT', json: { archived: true } });
    const refused = await json<{ errors: Array<{ code: string; field: string; message: string }> }>(
      await archive(),
      422,
    );
    expect(refused.errors[0]).toMatchObject({ code: 'data_invalid', field: 'archived' });
    expect(refused.errors[0]!.message).toContain('Gold tier');
    const listed = await json<{ data: Array<{ id?: number; archived: boolean }> }>(
      await app.request('/data_attributes'),
    );
    expect(listed.data.find((row) => row.id === attribute.id)).toMatchObject({ archived: false });
    await json(await app.request(`/segments/${segment.id}`, { method: 'DELETE' }));
    expect(await json<{ archived: boolean }>(await archive())).toMatchObject({ archived: true });

    // Nor can a new rule filter on it once archived; a search still may.
    const rule = { field: 'custom_attributes.dependant_tier', operator: '=', value: 'gold' };
    for (const [path, body] of [
      ['/segments', { name: 'Gold again', rule }],
      ['/segments/preview', { rule }],
    ] as const) {
      const answer = await json<{ errors: Array<{ code: string; field: string }> }>(
        await app.request(path, { method: 'POST', json: body }),
        400,
      );
      expect(answer.errors[0]).toMatchObject({ code: 'parameter_invalid', field: 'rule.field' });
    }
    await json(await app.request('/contacts/search', { method: 'POST', json: { query: rule } }));
  });

  it('never leaves a segment on an archived attribute when its rule and the archive race', async () => {
    for (let round = 0; round < 6; round += 1) {
      const name = `raced_tier_${round}`;
      const attribute = await json<{ id: number }>(
        await app.request('/data_attributes', {
          method: 'POST',
          json: { name, model: 'contact', data_type: 'string' },
        }),
      );
      const rule = { field: `custom_attributes.${name}`, operator: '=', value: 'gold' };
      const [segment, archive] = await Promise.all([
        app.request('/segments', { method: 'POST', json: { name: `Raced ${round}`, rule } }),
        app.request(`/data_attributes/${attribute.id}`, {
          method: 'PUT',
          json: { archived: true },
        }),
      ]);
      // One after the other, whichever went first refuses the other.
      expect([segment.status, archive.status].sort()).toEqual(
        segment.status === 200 ? [200, 422] : [200, 400],
      );
    }
  });

  it('lists the members of a past instant, leads merged away since included', async () => {
    const token = GLOBEX_TOKEN;
    const post = async <T>(path: string, body: unknown) =>
      json<T>(await app.request(path, { method: 'POST', token, json: body }));
    const lead = await post<{ id: string }>('/contacts', { role: 'lead', name: 'Merged later' });
    const user = await post<{ id: string }>('/contacts', {
      role: 'user',
      name: 'Merged later too',
    });
    const segment = await post<Segment>('/segments', {
      name: 'Merged later',
      person_type: 'all',
      rule: { field: 'name', operator: '^', value: 'Merged later' },
    });
    const history = await json<History>(
      await app.request(`/segments/${segment.id}/history`, { token }),
    );
    const entered = Math.max(...history.data.map((row) => row.effective_at));
    await eventually(async () => (Math.floor(Date.now() / 1000) > entered ? true : undefined));
    await post('/contacts/merge', { from: lead.id, into: user.id });
    const before = await json<ContactList>(
      await app.request(`/segments/${segment.id}/contacts?as_of=${entered}`, { token }),
    );
    expect(before.data.map((contact) => contact.id).sort()).toEqual([lead.id, user.id].sort());
    const now = await json<ContactList>(
      await app.request(`/segments/${segment.id}/contacts`, { token }),
    );
    expect(now.data.map((contact) => contact.id)).toEqual([user.id]);

    // A page's cursor continues the instant it listed, and no other listing.
    const firstOfPast = await json<ContactList>(
      await app.request(`/segments/${segment.id}/contacts?as_of=${entered}&per_page=1`, { token }),
    );
    const cursor = encodeURIComponent(firstOfPast.pages.next!.starting_after);
    const second = await json<ContactList>(
      await app.request(
        `/segments/${segment.id}/contacts?as_of=${entered}&per_page=1&starting_after=${cursor}`,
        { token },
      ),
    );
    expect([...firstOfPast.data, ...second.data].map((contact) => contact.id).sort()).toEqual(
      [lead.id, user.id].sort(),
    );
    for (const elsewhere of ['', `as_of=${entered - 1}&`]) {
      const refused = await app.request(
        `/segments/${segment.id}/contacts?${elsewhere}per_page=1&starting_after=${cursor}`,
        { token },
      );
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({
        errors: [{ code: 'parameter_invalid', field: 'starting_after' }],
      });
    }
  });

  it('shows the members of a past instant as they were then, as GET /contacts/{id}?as_of does', async () => {
    const token = GLOBEX_TOKEN;
    const name = `AnnR ${Date.now()}`;
    const lead = await json<{ id: string }>(
      await app.request('/contacts', { method: 'POST', token, json: { role: 'lead', name } }),
    );
    const segment = await json<Segment>(
      await app.request('/segments', {
        method: 'POST',
        token,
        json: { name, person_type: 'contact', rule: { field: 'name', operator: '=', value: name } },
      }),
    );
    const entries = await json<History>(
      await app.request(`/segments/${segment.id}/history`, { token }),
    );
    const entered = entries.data[0]!.effective_at;
    await eventually(async () => (Math.floor(Date.now() / 1000) > entered ? true : undefined));
    await json(
      await app.request(`/contacts/${lead.id}`, {
        method: 'PUT',
        token,
        json: { role: 'user', email: `ann-${lead.id}@x.com`, name: 'BethR' },
      }),
    );

    const then = await json<Record<string, unknown>>(
      await app.request(`/contacts/${lead.id}?as_of=${entered}`, { token }),
    );
    expect(then).toMatchObject({ role: 'lead', name, email: null, signed_up_at: null });
    const listed = await json<ContactList>(
      await app.request(`/segments/${segment.id}/contacts?as_of=${entered}`, { token }),
    );
    expect(listed).toMatchObject({ total_count: 1 });
    expect(listed.data).toEqual([then]);
    // Now she is in it no more.
    expect(
      (await json<ContactList>(await app.request(`/segments/${segment.id}/contacts`, { token })))
        .data,
    ).toEqual([]);
  });

  it("dates what a late messenger item changes at the item's time, as the contact's own as_of has it", async () => {
    const token = GLOBEX_TOKEN;
    const name = `Late ${Date.now()}`;
    const post = async <T>(path: string, body: unknown) =>
      json<T>(await app.request(path, { method: 'POST', token, json: body }));
    const segment = await post<Segment>('/segments', {
      name,
      person_type: 'all',
      rule: { field: 'name', operator: '=', value: `${name} pro` },
    });
    const user = await post<{ id: string; created_at: number }>('/contacts', {
      role: 'user',
      name: `${name} new`,
    });
    const created = user.created_at;
    await eventually(async () => (Math.floor(Date.now() / 1000) > created + 2 ? true : undefined));
    const ingest = async (occurredAt: number, plan: string) => {
      const results = await post<{ results: Array<{ status: string }> }>('/messenger/events', {
        events: [
          {
            id: `${name}-${plan}`,
            type: 'contact.attributes_updated',
            occurred_at: occurredAt,
            contact_id: user.id,
            attributes: { name: `${name} ${plan}` },
          },
        ],
      });
      expect(results.results).toEqual([expect.objectContaining({ status: 'accepted' })]);
    };
    // Free from created + 2; then, late, pro from created + 1: the newer write keeps the name.
    await ingest(created + 2, 'free');
    await ingest(created + 1, 'pro');
    const changes = await eventually(
      async () => {
        const rows = (
          await json<History>(await app.request(`/segments/${segment.id}/history`, { token }))
        ).data.filter((row) => row.contact_id === user.id);
        return rows.length === 2 ? rows : undefined;
      },
      5_000,
      "the late write's entry and exit",
    );
    expect(changes.map((row) => [row.change, row.effective_at - created])).toEqual([
      ['entered', 1],
      ['exited', 2],
    ]);
    expect(changes[0]!.cause).toMatchObject({ type: 'event', event_type: 'ContactUpdated' });
    for (const offset of [0, 1, 2]) {
      const then = await app.request(`/contacts/${user.id}?as_of=${created + offset}`, { token });
      const listed = await json<ContactList>(
        await app.request(`/segments/${segment.id}/contacts?as_of=${created + offset}`, { token }),
      );
      const contact = await json<{ name: string }>(then);
      expect({ offset, listed: listed.data }).toEqual({
        offset,
        listed: contact.name === `${name} pro` ? [contact] : [],
      });
    }
    expect(
      (await json<{ name: string }>(await app.request(`/contacts/${user.id}`, { token }))).name,
    ).toBe(`${name} free`);
    // The same rule tried unsaved over the same stretch makes the same changes.
    const whatIf = await post<History>('/segments/preview/history', {
      person_type: 'all',
      rule: { field: 'name', operator: '=', value: `${name} pro` },
      from: created - 1,
      to: Math.floor(Date.now() / 1000),
    });
    expect(whatIf.data).toEqual(changes.map(({ rule_version: _version, ...change }) => change));
  });

  it('refuses an as_of that is no past instant in unix seconds as GET /contacts/{id} refuses it', async () => {
    // In the other workspace: the one most tests share counts its contacts.
    const token = GLOBEX_TOKEN;
    const contact = await json<{ id: string }>(
      await app.request('/contacts', {
        method: 'POST',
        token,
        json: { role: 'lead', name: 'As of refused' },
      }),
    );
    const segment = await json<Segment>(
      await app.request('/segments', {
        method: 'POST',
        token,
        json: {
          name: 'As of refused',
          person_type: 'contact',
          rule: { field: 'name', operator: '=', value: 'As of refused' },
        },
      }),
    );
    const future = Math.floor(Date.now() / 1000) + 3600;
    for (const asOf of ['abc', '1.5', '', '1e3', '-1', ' 5', '0x10', `${future}`, '1&as_of=2']) {
      const refusal = async (path: string) => {
        const response = await app.request(`${path}?as_of=${asOf}`, { token });
        const { errors } = (await response.json()) as { errors: unknown };
        return { asOf, status: response.status, errors };
      };
      const contacts = await refusal(`/contacts/${contact.id}`);
      expect(contacts).toMatchObject({
        status: 400,
        errors: [{ code: 'parameter_invalid', field: 'as_of' }],
      });
      expect(await refusal(`/segments/${segment.id}/contacts`)).toEqual(contacts);
    }
  });

  it('defines, lists, counts, searches, changes and deletes a segment', async () => {
    const pro = await createContact({ role: 'user', email: 'pro@acme.test', name: 'Pro' });
    const lead = await createContact({ role: 'lead', name: 'Lead' });
    const segment = await createSegment({
      name: 'Named users',
      rule: { field: 'name', operator: 'exists' },
    });
    expect(segment).toMatchObject({
      type: 'segment',
      name: 'Named users',
      person_type: 'user',
      rule_version: 1,
      count: 1,
    });

    const list = await json<{ type: string; segments: Segment[] }>(
      await app.request('/segments?include_count=true'),
    );
    expect(list.type).toBe('segment.list');
    expect(list.segments.find((s) => s.id === segment.id)).toMatchObject({ count: 1 });
    const plain = await json<{ segments: Segment[] }>(await app.request('/segments'));
    expect(plain.segments.find((s) => s.id === segment.id)?.count).toBeUndefined();
    // Intercom's segment, with the rule it holds and its version (ours), as its writes answer.
    expect(await json<Segment>(await app.request(`/segments/${segment.id}`))).toMatchObject({
      type: 'segment',
      id: segment.id,
      rule: { field: 'name', operator: 'exists' },
      rule_version: 1,
    });
    expect(
      await json<{ type: string; data: Segment[] }>(
        await app.request(`/contacts/${pro.id}/segments`),
      ),
    ).toMatchObject({ type: 'list', data: [{ id: segment.id }] });
    expect((await members(segment.id)).data.map((c) => c.id)).toEqual([pro.id]);
    const searched = await json<ContactList>(
      await app.request('/contacts/search', {
        method: 'POST',
        json: { query: { field: 'segment_id', operator: '=', value: segment.id } },
      }),
    );
    expect(searched.data.map((c) => c.id)).toEqual([pro.id]);

    const changed = await json<Segment>(
      await app.request(`/segments/${segment.id}`, {
        method: 'PUT',
        json: { name: 'Everyone named', person_type: 'all' },
      }),
    );
    expect(changed).toMatchObject({ name: 'Everyone named', rule_version: 2, count: 2 });
    expect(await json<Segment>(await app.request(`/segments/${segment.id}`))).toMatchObject({
      rule: { field: 'name', operator: 'exists' },
      rule_version: 2,
      person_type: 'all',
    });
    const entries = await history(segment.id);
    expect(entries.type).toBe('segment.history');
    expect(entries.data).toEqual([
      expect.objectContaining({
        contact_id: pro.id,
        change: 'entered',
        rule_version: 1,
        cause: expect.objectContaining({ type: 'event', event_type: 'SegmentCreated' }),
      }),
      expect.objectContaining({
        contact_id: lead.id,
        change: 'entered',
        rule_version: 2,
        cause: expect.objectContaining({ type: 'event', event_type: 'SegmentRuleChanged' }),
      }),
    ]);

    await json(await app.request(`/contacts/${lead.id}`, { method: 'DELETE' }));
    expect((await members(segment.id)).data.map((c) => c.id)).toEqual([pro.id]);
    // A deleted contact's data is readable from no route: its entries and exits went with it.
    const afterDeletion = await history(segment.id);
    expect(afterDeletion.data.map((entry) => [entry.contact_id, entry.change])).toEqual([
      [pro.id, 'entered'],
    ]);
    expect(afterDeletion).toMatchObject({ total_count: 1 });
    const ofDeleted = await json<History & { total_count: number }>(
      await app.request(`/segments/${segment.id}/history?contact_id=${lead.id}`),
    );
    expect(ofDeleted).toMatchObject({ data: [], total_count: 0 });

    expect((await app.request(`/segments/${segment.id}`, { token: GLOBEX_TOKEN })).status).toBe(
      404,
    );
    await json(await app.request(`/segments/${segment.id}`, { method: 'DELETE' }));
    expect((await app.request(`/segments/${segment.id}`)).status).toBe(404);
    expect((await app.request(`/segments/${segment.id}`, { method: 'DELETE' })).status).toBe(404);
    // Its history goes with it, as its members do, though the segment had some.
    expect(afterDeletion.data.length).toBeGreaterThan(0);
    expect((await app.request(`/segments/${segment.id}/history`)).status).toBe(404);
  });

  it('previews an unsaved rule: count and first page, now', async () => {
    const ids = [];
    for (const name of ['pa', 'pb', 'pc'])
      ids.push((await createContact({ role: 'lead', name: `preview-${name}` })).id);
    const preview = await json<ContactList>(
      await app.request('/segments/preview', {
        method: 'POST',
        json: {
          person_type: 'contact',
          rule: { field: 'name', operator: '^', value: 'preview-' },
          pagination: { per_page: 2 },
        },
      }),
    );
    expect(preview).toMatchObject({ type: 'segment.preview', total_count: 3 });
    expect(preview.data).toHaveLength(2);
    expect(preview.pages.next?.starting_after).toEqual(expect.any(String));
  });

  it('refuses a preview pagination that is no object as search refuses it', async () => {
    const rule = { field: 'email', operator: '=', value: 'nobody@acme.test' };
    for (const pagination of [[], [{ per_page: 2 }], 'page 2', 2]) {
      const answers = await Promise.all([
        app.request('/segments/preview', { method: 'POST', json: { rule, pagination } }),
        app.request('/contacts/search', { method: 'POST', json: { query: rule, pagination } }),
      ]);
      const [preview, search] = await Promise.all(
        answers.map((answer) =>
          json<{ errors: Array<{ code: string; field?: string; message: string }> }>(answer, 400),
        ),
      );
      expect(preview!.errors).toEqual([
        {
          code: 'parameter_invalid',
          field: 'pagination',
          message: "'pagination' must be an object",
        },
      ]);
      expect(preview!.errors).toEqual(search!.errors);
    }
  });

  it('refuses a person type on preview as saving the same rule does: null included', async () => {
    const rule = { field: 'email', operator: 'exists' };
    const saved = await json<Segment>(
      await app.request('/segments', { method: 'POST', json: { name: 'Person typed', rule } }),
    );
    for (const personType of [null, 'lead', 3]) {
      const answers = await Promise.all([
        app.request('/segments', {
          method: 'POST',
          json: { name: 'Person typed', person_type: personType, rule },
        }),
        app.request(`/segments/${saved.id}`, {
          method: 'PUT',
          json: { person_type: personType, rule },
        }),
        app.request('/segments/preview', {
          method: 'POST',
          json: { person_type: personType, rule },
        }),
      ]);
      for (const answer of answers) {
        const body = await json<{ errors: Array<{ code: string; field?: string }> }>(answer, 400);
        expect(body.errors).toEqual([
          expect.objectContaining({ code: 'parameter_invalid', field: 'person_type' }),
        ]);
      }
    }
  });

  it('refuses an update with a bad name whole: no new rule or person type, nothing stored', async () => {
    const store = app.app.get<EventStore>(EVENT_STORE);
    const member = await createContact({ role: 'user', name: 'whole-update' });
    const segment = await createSegment({
      name: 'Whole update',
      person_type: 'user',
      rule: { field: 'name', operator: '=', value: 'whole-update' },
    });
    const before = {
      segment: await json<Segment>(await app.request(`/segments/${segment.id}`)),
      members: (await members(segment.id)).data.map((c) => c.id),
      history: (await history(segment.id)).data,
      head: await store.headPosition(),
    };
    expect(before.members).toEqual([member.id]);
    const anyoneNamed = { field: 'name', operator: 'exists' };
    for (const body of [
      { name: '', person_type: 'contact' },
      { name: true, rule: anyoneNamed },
      { name: '   ', person_type: 'all', rule: anyoneNamed },
      { name: 'x'.repeat(10_000), person_type: 'contact', rule: anyoneNamed },
    ]) {
      const refused = await app.request(`/segments/${segment.id}`, { method: 'PUT', json: body });
      expect({ body, status: refused.status, answer: await refused.json() }).toEqual({
        body,
        status: 400,
        answer: expect.objectContaining({
          errors: [expect.objectContaining({ code: 'parameter_invalid', field: 'name' })],
        }),
      });
      expect({
        segment: await json<Segment>(await app.request(`/segments/${segment.id}`)),
        members: (await members(segment.id)).data.map((c) => c.id),
        history: (await history(segment.id)).data,
        head: await store.headPosition(),
      }).toEqual(before);
    }
  });

  it('names a person type sent as a number past the range of numbers as such, not as null', async () => {
    const refused = await app.request('/segments', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": "Out of range", "person_type": 1e309, "rule": {"field": "email", "operator": "exists"}}',
    });
    const body = await json<{ errors: Array<{ code: string; field?: string; message: string }> }>(
      refused,
      400,
    );
    expect(body.errors).toEqual([
      {
        code: 'parameter_invalid',
        field: 'person_type',
        message: "person_type must be 'user', 'contact' or 'all', not an out-of-range number",
      },
    ]);
  });

  it('lets a user signed up a few seconds short of 7 days ago leave at the deadline, within a second', async () => {
    const now = Math.floor(Date.now() / 1000);
    const signedUpAt = now - 7 * DAY + 3;
    const deadline = signedUpAt + 7 * DAY;
    const user = await createContact({
      role: 'user',
      email: 'recent@acme.test',
      signed_up_at: signedUpAt,
    });
    const segment = await createSegment({
      name: 'Signed up less than 7 days ago',
      person_type: 'user',
      rule: { field: 'signed_up_at', operator: 'less_than_days_ago', value: 7 },
    });
    const before = Date.now();
    expect(before).toBeLessThan(deadline * 1000);
    expect((await members(segment.id)).data.map((c) => c.id)).toContain(user.id);

    const leftAt = await whenLeft(segment.id, user.id);
    expect(leftAt).toBeGreaterThanOrEqual(deadline * 1000);
    expect(leftAt - deadline * 1000).toBeLessThan(1000);
    const exit = (await history(segment.id)).data.filter((row) => row.contact_id === user.id);
    expect(exit).toEqual([
      expect.objectContaining({
        change: 'entered',
        cause: expect.objectContaining({ type: 'event' }),
      }),
      expect.objectContaining({
        change: 'exited',
        effective_at: deadline,
        cause: { type: 'deadline', deadline },
        rule_version: 1,
      }),
    ]);
    const asOf = await members(segment.id, `?as_of=${deadline - 1}`);
    expect(asOf.data.map((c) => c.id)).toContain(user.id);
    expect((await members(segment.id, `?as_of=${deadline}`)).data.map((c) => c.id)).not.toContain(
      user.id,
    );
  }, 20_000);

  it("takes a messenger item dated ahead of the clock as happening now: no other contact's deadline fires early", async () => {
    const now = Math.floor(Date.now() / 1000);
    const deadline = now + 100;
    const user = await createContact({
      role: 'user',
      email: 'not-yet-a-week@acme.test',
      signed_up_at: deadline - 7 * DAY,
    });
    const segment = await createSegment({
      name: 'Signed up this week, beside a clock that runs ahead',
      person_type: 'user',
      rule: { field: 'signed_up_at', operator: 'less_than_days_ago', value: 7 },
    });
    // A producer whose clock runs 290 s ahead, within the 5 minutes an item may be.
    const ingested = await app.request('/messenger/events', {
      method: 'POST',
      json: {
        events: [
          {
            id: 'ahead-1',
            type: 'conversation.started',
            occurred_at: now + 290,
            visitor_id: 'ahead',
            conversation_id: 'ahead-conversation',
            context: { browser: 'firefox' },
          },
        ],
      },
    });
    const result = await json<{ results: Array<{ status: string; contact_id: string }> }>(ingested);
    expect(result.results[0]!.status).toBe('accepted');
    // And a data event whose created_at runs as far ahead.
    const tracked = await app.request('/events', {
      method: 'POST',
      json: { event_name: 'ahead', created_at: now + 280, email: 'not-yet-a-week@acme.test' },
    });
    expect(tracked.status).toBe(202);
    const position = [ingested, tracked]
      .map((response) => BigInt(response.headers.get('x-position')!))
      .reduce((a, b) => (a > b ? a : b))
      .toString();

    const current = await json<ContactList>(
      await app.request(`/segments/${segment.id}/contacts`, {
        headers: { 'x-min-position': position },
      }),
    );
    expect(current.data.map((c) => c.id)).toContain(user.id);
    const rows = (await history(segment.id)).data.filter((row) => row.contact_id === user.id);
    expect(rows.map((row) => row.change)).toEqual(['entered']);
    const lead = await json<Record<string, number>>(
      await app.request(`/contacts/${result.results[0]!.contact_id}`),
    );
    const answeredAt = Math.floor(Date.now() / 1000);
    const times = [lead.created_at, lead.last_seen_at, lead.last_replied_at];
    for (const at of times) expect(at).toBeGreaterThanOrEqual(now);
    expect(Math.max(...times.map(Number))).toBeLessThanOrEqual(answeredAt);
  });

  it('counts a reported event summary (POST /events/summaries) as done, at its last occurrence', async () => {
    const user = await createContact({ role: 'user', external_id: 'summarised-1' });
    const segment = await createSegment({
      name: 'Renewed',
      person_type: 'user',
      rule: { field: 'event', operator: 'has_done', value: 'renewed', within_days: 30 },
    });
    const now = Math.floor(Date.now() / 1000);
    const reported = await app.request('/events/summaries', {
      method: 'POST',
      json: {
        user_id: 'summarised-1',
        event_summaries: {
          event_name: 'renewed',
          count: 3,
          first: now - 40 * DAY,
          last: now - DAY,
        },
      },
    });
    expect(reported.status).toBe(200);
    // Read-your-writes: the report answers once the membership reflects it.
    expect((await members(segment.id)).data.map((c) => c.id)).toContain(user.id);
    // The report is dated at its last occurrence, before the segment: a late event, so the user
    // entered when the segment's rule came into force, as its own as_of has it then.
    expect((await history(segment.id)).data.filter((row) => row.contact_id === user.id)).toEqual([
      expect.objectContaining({
        change: 'entered',
        cause: expect.objectContaining({ type: 'event', event_type: 'SegmentCreated' }),
      }),
    ]);
  });

  it('lets a user enter "has done purchase within 1 day" on POST /events and leave at the deadline', async () => {
    const user = await createContact({ role: 'user', email: 'buyer@acme.test' });
    const segment = await createSegment({
      name: 'Purchased within a day',
      person_type: 'user',
      rule: { field: 'event', operator: 'has_done', value: 'purchase', within_days: 1 },
    });
    expect((await members(segment.id)).data.map((c) => c.id)).not.toContain(user.id);
    const createdAt = Math.floor(Date.now() / 1000) - DAY + 3;
    const deadline = createdAt + DAY;
    const tracked = await app.request('/events', {
      method: 'POST',
      json: { id: user.id, event_name: 'purchase', created_at: createdAt },
    });
    expect(tracked.status).toBe(202);
    await eventually(
      async () =>
        (await members(segment.id)).data.some((c) => c.id === user.id) ? true : undefined,
      5_000,
      'the user to enter the segment',
    );
    expect(Date.now()).toBeLessThan(deadline * 1000);
    const preview = await json<ContactList>(
      await app.request('/segments/preview', {
        method: 'POST',
        json: {
          person_type: 'user',
          rule: { field: 'event', operator: 'has_done', value: 'purchase', within_days: 1 },
        },
      }),
    );
    expect(preview.data.map((c) => c.id)).toContain(user.id);

    const leftAt = await whenLeft(segment.id, user.id);
    expect(leftAt).toBeGreaterThanOrEqual(deadline * 1000);
    expect(leftAt - deadline * 1000).toBeLessThan(1000);
    // The event is dated at its `created_at`, before the segment: a late event, so the user
    // entered when the segment's rule came into force, as its own as_of has it then.
    expect((await history(segment.id)).data.filter((row) => row.contact_id === user.id)).toEqual([
      expect.objectContaining({
        change: 'entered',
        cause: expect.objectContaining({ type: 'event', event_type: 'SegmentCreated' }),
      }),
      expect.objectContaining({
        change: 'exited',
        effective_at: deadline,
        cause: { type: 'deadline', deadline },
        rule_version: 1,
      }),
    ]);
  }, 20_000);
});

describe('segment rules count days in the workspace time zone, as search does', () => {
  it('selects by the Kiritimati day in a workspace set to it, and by the UTC day elsewhere; preview too', async () => {
    // 2024-01-01T12:00:00Z is already 2024-01-02 in Kiritimati (UTC+14).
    const signedUpAt = Date.UTC(2024, 0, 1, 12) / 1000;
    const laterThatKiritimatiDay = Date.UTC(2024, 0, 2, 0, 30) / 1000;
    const rule = { field: 'signed_up_at', operator: '=', value: laterThatKiritimatiDay };
    const service = await startTestApp({ WORKSPACE_TIME_ZONES: 'acme:Pacific/Kiritimati' });
    try {
      const countsByWorkspace: Array<{ members: number; preview: number }> = [];
      for (const token of [undefined, GLOBEX_TOKEN]) {
        const contact = await service.request('/contacts', {
          method: 'POST',
          token,
          json: { external_id: 'tz-user', signed_up_at: signedUpAt },
        });
        expect(contact.status).toBe(200);
        const created = await service.request('/segments', {
          method: 'POST',
          token,
          json: { name: 'Signed up that day', person_type: 'user', rule },
        });
        expect(created.status).toBe(200);
        const segment = (await created.json()) as Segment;
        const members = await service.request(`/segments/${segment.id}/contacts`, { token });
        const preview = await service.request('/segments/preview', {
          method: 'POST',
          token,
          json: { person_type: 'user', rule },
        });
        countsByWorkspace.push({
          members: ((await members.json()) as ContactList).total_count,
          preview: ((await preview.json()) as ContactList).total_count,
        });
      }
      expect(countsByWorkspace).toEqual([
        { members: 1, preview: 1 },
        { members: 0, preview: 0 },
      ]);
    } finally {
      await service.close();
    }
  });
});

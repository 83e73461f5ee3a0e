import { describeOnReadStores } from '../support/read-store-targets';
import {
  ADMIN_TOKEN,
  GLOBEX_TOKEN,
  startTestApp,
  startTestAppOnPostgres,
  type TestApp,
} from '../support/test-app';

interface ValueList {
  readonly type: string;
  readonly data_attribute: {
    readonly id?: number;
    readonly name: string;
    readonly full_name: string;
  };
  readonly data: readonly {
    readonly type: string;
    readonly value: unknown;
    readonly count: number;
  }[];
  readonly total_count: number;
  readonly contact_count: number;
  readonly pages: {
    readonly type: string;
    readonly page: number;
    readonly per_page: number;
    readonly total_pages: number;
    readonly next?: { readonly page: number; readonly starting_after: string };
  };
}

interface ErrorList {
  readonly type: string;
  readonly request_id: string;
  readonly errors: readonly {
    readonly code: string;
    readonly message: string;
    readonly field?: string;
  }[];
}

/** `GET /data_attributes/{id}/values` on the running service, read-your-writes through `X-Min-Position`. */
describe('attribute values API (e2e)', () => {
  let service: TestApp;
  let planId: number;

  beforeAll(async () => {
    service = await startTestApp();
    const created = await service.request('/data_attributes', {
      method: 'POST',
      json: { model: 'contact', name: 'plan', data_type: 'string' },
    });
    expect(created.status).toBe(200);
    planId = ((await created.json()) as { id: number }).id;
  });
  afterAll(() => service.close());

  async function createContact(body: Record<string, unknown>): Promise<string> {
    const response = await service.request('/contacts', { method: 'POST', json: body });
    expect(response.status).toBe(200);
    return ((await response.json()) as { id: string }).id;
  }

  /** The head of the log: every write so far happened at or before it. */
  async function headPosition(): Promise<string> {
    const response = await service.request('/admin/projections', { token: ADMIN_TOKEN });
    const body = (await response.json()) as { data: readonly { head_position: string }[] };
    return body.data[0]!.head_position;
  }

  async function values(
    id: string | number,
    query = '',
    token?: string,
  ): Promise<{ status: number; body: unknown }> {
    const response = await service.request(`/data_attributes/${id}/values${query}`, {
      headers: { 'x-min-position': await headPosition() },
      ...(token ? { token } : {}),
    });
    return { status: response.status, body: await response.json() };
  }

  async function valueList(id: string | number, query = ''): Promise<ValueList> {
    const { status, body } = await values(id, query);
    expect(status).toBe(200);
    return body as ValueList;
  }

  const pairs = (list: ValueList) => list.data.map((item) => [item.value, item.count]);

  it('lists values by count, follows updates, merges and deletes, and pages with a cursor', async () => {
    const ids: string[] = [];
    for (const [index, plan] of ['pro', 'pro', 'pro', 'free', 'free', 'team'].entries()) {
      ids.push(
        await createContact({
          email: `person${index}@${index % 2 === 0 ? 'even.io' : 'odd.io'}`,
          custom_attributes: { plan },
        }),
      );
    }
    const lead = await createContact({
      role: 'lead',
      name: 'Lead',
      custom_attributes: { plan: 'team' },
    });

    let list = await valueList(planId);
    expect(list).toMatchObject({
      type: 'attribute_value.list',
      data_attribute: { id: planId, name: 'plan', full_name: 'custom_attributes.plan' },
      total_count: 3,
      contact_count: 7,
      pages: { type: 'pages', page: 1, per_page: 50, total_pages: 1 },
    });
    expect(list.pages.next).toBeUndefined();
    expect(list.data[0]).toEqual({ type: 'attribute_value', value: 'pro', count: 3 });
    // Ties by value: free and team both have 2.
    expect(pairs(list)).toEqual([
      ['pro', 3],
      ['free', 2],
      ['team', 2],
    ]);

    // A user loses pro for team; the lead is merged into a user (it leaves), a user is deleted.
    const update = await service.request(`/contacts/${ids[0]!}`, {
      method: 'PUT',
      json: { custom_attributes: { plan: 'team' } },
    });
    expect(update.status).toBe(200);
    const merge = await service.request('/contacts/merge', {
      method: 'POST',
      json: { from: lead, into: ids[3]! },
    });
    expect(merge.status).toBe(200);
    expect((await service.request(`/contacts/${ids[5]!}`, { method: 'DELETE' })).status).toBe(200);

    list = await valueList(planId);
    expect(pairs(list)).toEqual([
      ['free', 2],
      ['pro', 2],
      ['team', 1],
    ]);
    expect(list).toMatchObject({ total_count: 3, contact_count: 5 });

    const first = await valueList(planId, '?per_page=2');
    expect(pairs(first)).toEqual([
      ['free', 2],
      ['pro', 2],
    ]);
    expect(first.pages).toMatchObject({ page: 1, per_page: 2, total_pages: 2, next: { page: 2 } });
    const second = await valueList(
      `custom_attributes.plan`,
      `?per_page=2&starting_after=${first.pages.next!.starting_after}`,
    );
    expect(pairs(second)).toEqual([['team', 1]]);
    expect(second.pages).toMatchObject({ page: 2, per_page: 2, total_pages: 2 });
    expect(second.pages.next).toBeUndefined();

    // Built-in attributes have no id: their name addresses them.
    const domains = await valueList('email_domain');
    expect(domains.data_attribute).toEqual({ name: 'email_domain', full_name: 'email_domain' });
    expect(pairs(domains)).toEqual([
      ['even.io', 3],
      ['odd.io', 2],
    ]);
    const roles = await valueList('role');
    expect(pairs(roles)).toEqual([['user', 5]]);
    const flags = await valueList('unsubscribed_from_emails');
    expect(pairs(flags)).toEqual([[false, 5]]);
    const created = await valueList('created_at');
    expect(created.contact_count).toBe(5);
    for (const item of created.data) expect((item.value as number) % 86_400).toBe(0);
  });

  it('answers 404 in the Intercom envelope for an unknown attribute and 400 for a bad cursor', async () => {
    for (const id of ['999999', 'no_such_attribute', 'custom_attributes.nope', 'id']) {
      const { status, body } = await values(id);
      expect(status).toBe(404);
      expect(body).toMatchObject({
        type: 'error.list',
        errors: [{ code: 'field_not_found', field: 'id' }],
      });
      expect((body as ErrorList).request_id).toEqual(expect.any(String));
    }
    // An id has one spelling: padded or with a leading zero, it names no attribute.
    for (const id of [`0${planId}`, `%20${planId}`]) {
      const { status, body } = await values(id);
      expect({ id, status, body }).toMatchObject({
        id,
        status: 404,
        body: { errors: [{ code: 'field_not_found', field: 'id' }] },
      });
    }
    // Another workspace's attribute id is unknown there.
    const other = await values(planId, '', GLOBEX_TOKEN);
    expect(other.status).toBe(404);

    const first = await valueList('email', '?per_page=1');
    const cursor = first.pages.next!.starting_after;
    const tampered = `${cursor.slice(0, 10)}${cursor[10] === 'A' ? 'B' : 'A'}${cursor.slice(11)}`;
    for (const [id, query] of [
      ['email', `?starting_after=${tampered}`],
      ['email', '?starting_after=not-a-cursor!'],
      ['name', `?starting_after=${cursor}`],
    ] as const) {
      const { status, body } = await values(id, query);
      expect(status).toBe(400);
      expect(body).toMatchObject({
        errors: [{ code: 'parameter_invalid', field: 'starting_after' }],
      });
    }
    expect((await values('email', '?per_page=151')).status).toBe(400);
  });

  it('answers owner_id values as integers, as its data_type says, however the owner was written', async () => {
    await createContact({ email: 'owned1@owners.io', owner_id: 7 });
    await createContact({ email: 'owned2@owners.io', owner_id: '7' });
    await createContact({ email: 'owned3@owners.io', owner_id: 12 });
    const builtIns = await service.request('/data_attributes');
    const ownerAttribute = ((await builtIns.json()) as { data: { name: string }[] }).data.find(
      (attribute) => attribute.name === 'owner_id',
    );
    expect(ownerAttribute).toMatchObject({ data_type: 'integer' });
    expect(pairs(await valueList('owner_id'))).toEqual([
      [7, 2],
      [12, 1],
    ]);
  });
});

/** The order of values held by as many contacts, on either read store. */
describeOnReadStores('attribute values API: ties in order (e2e)', (dialect) => {
  let service: TestApp;
  beforeAll(async () => {
    service = dialect === 'postgres' ? await startTestAppOnPostgres() : await startTestApp();
  });
  afterAll(() => service.close());

  const json = async <T>(response: Response): Promise<T> => {
    const body = (await response.json()) as T;
    expect({ status: response.status, body }).toMatchObject({ status: 200 });
    return body;
  };

  /** Every value of the attribute, one page of one value at a time, through the cursors. */
  async function valuesByPages(attribute: string | number): Promise<unknown[]> {
    const seen: unknown[] = [];
    let query = '?per_page=1';
    for (;;) {
      const page = await json<ValueList>(
        await service.request(`/data_attributes/${attribute}/values${query}`),
      );
      seen.push(...page.data.map((item) => [item.value, item.count]));
      if (!page.pages.next) return seen;
      query = `?per_page=1&starting_after=${page.pages.next.starting_after}`;
    }
  }

  it('orders the numbers of integer, float and date attributes held by as many contacts by value, page after page', async () => {
    const ids: Record<string, number> = {};
    for (const [name, data_type] of [
      ['seats', 'integer'],
      ['ratio', 'float'],
      ['renews_at', 'date'],
    ] as const) {
      ids[name] = (
        await json<{ id: number }>(
          await service.request('/data_attributes', {
            method: 'POST',
            json: { model: 'contact', name, data_type },
          }),
        )
      ).id;
    }
    const held = [
      { seats: 2147483648, ratio: 1e308, renews_at: 86_400, owner_id: 10 },
      { seats: 3, ratio: -1.5e-300, renews_at: 999, owner_id: 9 },
      { seats: 0, ratio: 1, renews_at: 1_000_000, owner_id: 100 },
      { seats: -2147483648, ratio: 1, renews_at: 999, owner_id: 9 },
    ];
    for (const { owner_id, ...custom_attributes } of held) {
      await json(
        await service.request('/contacts', {
          method: 'POST',
          json: { role: 'lead', owner_id, custom_attributes },
        }),
      );
    }
    expect(await valuesByPages(ids.seats!)).toEqual([
      [-2147483648, 1],
      [0, 1],
      [3, 1],
      [2147483648, 1],
    ]);
    expect(await valuesByPages(ids.ratio!)).toEqual([
      [1, 2],
      [-1.5e-300, 1],
      [1e308, 1],
    ]);
    expect(await valuesByPages(ids.renews_at!)).toEqual([
      [999, 2],
      [86_400, 1],
      [1_000_000, 1],
    ]);
    expect(await valuesByPages('owner_id')).toEqual([
      [9, 2],
      [10, 1],
      [100, 1],
    ]);
  });

  it('orders the texts of other attributes held by as many contacts bytewise', async () => {
    for (const name of ['b', 'B', 'a', '10', '9', 'é']) {
      await json(
        await service.request('/contacts', { method: 'POST', json: { role: 'lead', name } }),
      );
    }
    expect(await valuesByPages('name')).toEqual(
      ['10', '9', 'B', 'a', 'b', 'é'].map((name) => [name, 1]),
    );
  });
});

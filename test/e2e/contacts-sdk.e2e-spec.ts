import { type Intercom, IntercomClient, IntercomError } from 'intercom-client';
import { loadState } from '../../src/shared/event-sourcing/handle-command';
import { EVENT_STORE, type EventStore } from '../../src/shared/event-store/event-store.port';
import { contactStreamId } from '../../src/shared/stream-names';
import { contactDecider } from '../../src/contacts/domain/contact.decider';
import { postgresAvailability, postgresRequired } from '../support/postgres';
import {
  ACME_TOKEN,
  GLOBEX_TOKEN,
  startTestApp,
  startTestAppOnPostgres,
  startTestAppOnStandIn,
  type TestApp,
} from '../support/test-app';

/**
 * The official SDK (`intercom-client` 7), constructed with only `baseUrl` changed, drives every
 * contact and data-attribute method against the service.
 */
describe('Contacts and data attributes through the official intercom-client SDK', () => {
  let service: TestApp;
  let client: IntercomClient;

  beforeAll(async () => {
    service = await startTestApp();
    client = new IntercomClient({ token: ACME_TOKEN, baseUrl: service.baseUrl });
  });
  afterAll(() => service.close());

  async function statusOf(promise: Promise<unknown>): Promise<number | undefined> {
    try {
      await promise;
      return 200;
    } catch (error) {
      if (error instanceof IntercomError) return error.statusCode;
      throw error;
    }
  }

  it('creates, finds, updates, archives, unarchives and deletes a contact', async () => {
    const created = await client.contacts.create({
      email: 'grace@example.com',
      external_id: 'grace-1',
      name: 'Grace Hopper',
      phone: '+1 555 0100',
    });
    expect(created).toMatchObject({
      type: 'contact',
      role: 'user',
      email: 'grace@example.com',
      email_domain: 'example.com',
      external_id: 'grace-1',
      name: 'Grace Hopper',
      workspace_id: 'acme',
    });
    expect(created.id).toMatch(/^[0-9a-f]{24}$/);

    const found = await client.contacts.find({ contact_id: created.id });
    expect(found).toMatchObject({ id: created.id, name: 'Grace Hopper' });

    const updated = await client.contacts.update({
      contact_id: created.id,
      name: 'Rear Admiral Grace Hopper',
    });
    expect(updated.name).toBe('Rear Admiral Grace Hopper');
    expect((await client.contacts.find({ contact_id: created.id })).name).toBe(
      'Rear Admiral Grace Hopper',
    );

    const byExternalId = await client.contacts.showContactByExternalId({ external_id: 'grace-1' });
    expect(byExternalId.id).toBe(created.id);

    expect(await client.contacts.archive({ contact_id: created.id })).toMatchObject({
      id: created.id,
      archived: true,
    });
    expect(await client.contacts.unarchive({ contact_id: created.id })).toMatchObject({
      id: created.id,
      archived: false,
    });

    const deleted = await client.contacts.delete({ contact_id: created.id });
    expect(deleted).toMatchObject({
      type: 'contact',
      id: created.id,
      external_id: 'grace-1',
      deleted: true,
    });
    expect(await statusOf(client.contacts.find({ contact_id: created.id }))).toBe(404);
  });

  it("sends email_verified (Intercom 2.16) on contacts.create and contacts.update, with the SDK's 2.14 and with Unstable", async () => {
    // The SDK's 7.0 request types predate the field; it sends a request's fields as they are given.
    const verifiedOf = async (id: string) => {
      const store = service.app.get<EventStore>(EVENT_STORE);
      const { state } = await loadState(store, contactStreamId('acme', id), contactDecider);
      return state.status === 'user' ? state.email_verified : state.status;
    };
    const create: Intercom.CreateContactRequest & { email_verified: boolean } = {
      email: 'verified-by-sdk@example.com',
      email_verified: true,
    };
    const created = await client.contacts.create(create);
    expect(created).toMatchObject({ role: 'user', email: 'verified-by-sdk@example.com' });
    expect(created).not.toHaveProperty('email_verified');
    expect(await verifiedOf(created.id)).toBe(true);

    const unstable = new IntercomClient({
      token: ACME_TOKEN,
      baseUrl: service.baseUrl,
      version: 'Unstable',
    });
    const unverify: Intercom.UpdateContactRequest & { email_verified: boolean | null } = {
      contact_id: created.id,
      email: 'verified-by-sdk@example.com',
      email_verified: false,
    };
    const updated = await unstable.contacts.update(unverify);
    expect(updated).toMatchObject({ id: created.id, email: 'verified-by-sdk@example.com' });
    expect(await verifiedOf(created.id)).toBe(false);
    const verify: Intercom.UpdateContactRequest & { email_verified: boolean | null } = {
      contact_id: created.id,
      email: 'reverified-by-sdk@example.com',
      email_verified: true,
    };
    expect((await client.contacts.update(verify)).email).toBe('reverified-by-sdk@example.com');
    expect(await verifiedOf(created.id)).toBe(true);

    const withoutEmail: Intercom.UpdateContactRequest & { email_verified: boolean | null } = {
      contact_id: created.id,
      email_verified: true,
    };
    const refusal = await client.contacts.update(withoutEmail).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(IntercomError);
    expect(refusal).toMatchObject({
      statusCode: 400,
      body: { errors: [{ code: 'parameter_invalid', field: 'email_verified' }] },
    });
    expect(await verifiedOf(created.id)).toBe(true);
  });

  it("lists a contact's tags, companies, notes and subscriptions (none kept: empty), and refuses them for a contact that is not there", async () => {
    const contact = await client.contacts.create({ external_id: 'relations-1' });
    const tags = await client.contacts.listAttachedTags({ contact_id: contact.id });
    expect(tags).toEqual({ type: 'list', data: [] });
    const subscriptions = await client.contacts.listAttachedSubscriptions({
      contact_id: contact.id,
    });
    expect(subscriptions).toEqual({ type: 'list', data: [] });
    const companies = await client.contacts.listAttachedCompanies({
      contact_id: contact.id,
      page: 2,
      per_page: 5,
    });
    expect(companies.data).toEqual([]);
    expect(companies.response).toEqual({
      type: 'list',
      companies: [],
      total_count: 0,
      pages: { type: 'pages', page: 2, per_page: 5, total_pages: 0 },
    });
    const notes: unknown[] = [];
    for await (const note of await client.notes.list({ contact_id: contact.id })) notes.push(note);
    expect(notes).toEqual([]);

    for (const [query, field] of [
      ['companies?per_page=0', 'per_page'],
      ['notes?page=0', 'page'],
      ['tags?per_page=5', 'per_page'],
      ['subscriptions?colour=red', 'colour'],
    ]) {
      const response = await service.request(`/contacts/${contact.id}/${query}`);
      expect(response.status).toBe(400);
      const { errors } = (await response.json()) as { errors: Array<Record<string, string>> };
      expect(errors[0]).toMatchObject({ code: 'parameter_invalid', field });
    }

    await client.contacts.delete({ contact_id: contact.id });
    for (const list of [
      client.contacts.listAttachedTags({ contact_id: contact.id }),
      client.contacts.listAttachedSubscriptions({ contact_id: contact.id }),
      client.contacts.listAttachedCompanies({ contact_id: contact.id }),
      client.notes.list({ contact_id: contact.id }),
      client.contacts.listAttachedTags({ contact_id: 'f'.repeat(24) }),
    ])
      expect(await statusOf(list)).toBe(404);
  });

  it('answers 409 conflict naming the holder on a duplicate external_id', async () => {
    const first = await client.contacts.create({ external_id: 'dup-ext-1' });
    const response = await service.request('/contacts', {
      method: 'POST',
      json: { external_id: 'dup-ext-1' },
    });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({
      type: 'error.list',
      errors: [
        {
          code: 'conflict',
          message: `A contact matching those details already exists with id=${first.id}`,
        },
      ],
    });
    expect(await statusOf(client.contacts.create({ external_id: 'dup-ext-1' }))).toBe(409);
  });

  it('pages through contacts.list and contacts.search with for await across at least three pages', async () => {
    const names = Array.from({ length: 7 }, (_, index) => `pager-${index}`);
    const ids = [];
    for (const name of names)
      ids.push(
        (await client.contacts.create({ role: 'lead', name, email: `${name}@pages.test` })).id,
      );

    const searched: string[] = [];
    const searchPages = await client.contacts.search({
      query: { field: 'email', operator: '$', value: '@pages.test' },
      pagination: { per_page: 2 },
    });
    for await (const contact of searchPages) searched.push(contact.id);
    expect(searched.sort()).toEqual([...ids].sort());

    const listed: string[] = [];
    const listPages = await client.contacts.list({ per_page: 3 });
    let pages = 0;
    for (let page = listPages; ; page = await page.getNextPage()) {
      pages += 1;
      listed.push(...page.data.map((contact) => contact.id));
      if (!page.hasNextPage()) break;
    }
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(new Set(listed).size).toBe(listed.length);
    for (const id of ids) expect(listed).toContain(id);
  });

  it('starts contacts.list at the numbered page it is given, and goes on from there', async () => {
    for (let index = 0; index < 5; index += 1)
      await client.contacts.create({ role: 'lead', name: `numbered-${index}` });
    const everyone = (await client.contacts.list({ per_page: 150 })).data.map(({ id }) => id);
    expect(everyone.length).toBeGreaterThanOrEqual(5);

    const second = await client.contacts.list({ per_page: 2, page: 2 });
    expect(second.data.map(({ id }) => id)).toEqual(everyone.slice(2, 4));
    expect(second.response.pages).toMatchObject({ page: 2, per_page: 2 });
    const third = await second.getNextPage();
    expect(third.data.map(({ id }) => id)).toEqual(everyone.slice(4, 6));
    expect(third.response.pages).toMatchObject({ page: 3 });

    expect(second.response.pages?.total_pages).toBe(Math.ceil(everyone.length / 2));
    const beyond = await client.contacts.list({ per_page: 2, page: 1_000_000 });
    expect(beyond.data).toEqual([]);
    expect(beyond.response.pages).toMatchObject({
      page: 1_000_000,
      total_pages: Math.ceil(everyone.length / 2),
    });
    expect(await statusOf(client.contacts.list({ per_page: 2, page: 1_000_001 }))).toBe(400);
  });

  it('merges a lead into a user; the merged id answers 410 with a Link on 2.16 and 404 on 2.14', async () => {
    const lead = await client.contacts.create({
      role: 'lead',
      name: 'Lead Lovelace',
      phone: '+44 1',
    });
    const user = await client.contacts.create({
      external_id: 'merge-target-1',
      email: 'target@example.com',
    });
    const merged = await client.contacts.mergeLeadInUser({ from: lead.id, into: user.id });
    expect(merged).toMatchObject({
      id: user.id,
      role: 'user',
      name: 'Lead Lovelace',
      phone: '+44 1',
      email: 'target@example.com',
    });

    const gone = await service.request(`/contacts/${lead.id}`, {
      headers: { 'Intercom-Version': '2.16' },
    });
    expect(gone.status).toBe(410);
    expect(gone.headers.get('link')).toBe(`</contacts/${user.id}>; rel="canonical"`);
    expect(await gone.json()).toMatchObject({ errors: [{ code: 'contact_merged' }] });
    expect(await statusOf(client.contacts.find({ contact_id: lead.id }))).toBe(404);

    const withHistory = await service.request(`/contacts/${user.id}?include_merge_history=true`);
    expect(((await withHistory.json()) as { merge_history: unknown }).merge_history).toEqual([
      {
        type: 'merge_history',
        source_contact_id: lead.id,
        source_contact_role: 'lead',
        merged_at: expect.any(Number),
      },
    ]);
    const search = await client.contacts.search({
      query: { field: 'id', operator: '=', value: lead.id },
    });
    expect(search.data).toEqual([]);
  });

  it('gives users their merge_history wherever Intercom takes include_merge_history, and leads none', async () => {
    const lead = await client.contacts.create({ role: 'lead', name: 'Historic Lead' });
    const other = await client.contacts.create({ role: 'lead', name: 'Other Lead' });
    const user = await client.contacts.create({ external_id: 'historic-user' });
    const history = [
      {
        type: 'merge_history',
        source_contact_id: lead.id,
        source_contact_role: 'lead',
        merged_at: expect.any(Number),
      },
    ];
    const answer = async (path: string, init: { method?: string; json?: unknown } = {}) => {
      const response = await service.request(path, init);
      expect(response.status).toBe(200);
      return (await response.json()) as Record<string, unknown> & {
        data?: Array<Record<string, unknown>>;
      };
    };
    const merged = await answer('/contacts/merge?include_merge_history=true', {
      method: 'POST',
      json: { from: lead.id, into: user.id },
    });
    expect(merged.merge_history).toEqual(history);
    expect(merged.enabled_push_messaging).toBeNull();
    const updated = await answer(`/contacts/${user.id}?include_merge_history=true`, {
      method: 'PUT',
      json: { name: 'Historic User' },
    });
    expect(updated.merge_history).toEqual(history);
    const found = await answer(
      '/contacts/find_by_external_id/historic-user?include_merge_history=true',
    );
    expect(found.merge_history).toEqual(history);
    const searched = await answer('/contacts/search?include_merge_history=true', {
      method: 'POST',
      json: { query: { field: 'id', operator: 'IN', value: [user.id, other.id] } },
    });
    const listed = await answer('/contacts?include_merge_history=true&per_page=150');
    for (const page of [searched, listed]) {
      expect(page.data?.find((contact) => contact.id === user.id)?.merge_history).toEqual(history);
      const leadRow = page.data?.find((contact) => contact.id === other.id);
      expect(leadRow).toBeDefined();
      expect(leadRow).not.toHaveProperty('merge_history');
    }
    expect(await answer(`/contacts/${other.id}?include_merge_history=true`)).not.toHaveProperty(
      'merge_history',
    );
    expect(await answer(`/contacts/${user.id}`)).not.toHaveProperty('merge_history');
    expect(await answer('/contacts?per_page=150')).not.toHaveProperty('data.0.merge_history');
    const refused = await service.request('/contacts?include_merge_history=yes');
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ errors: [{ field: 'include_merge_history' }] });
  });

  it("lists a user's merge history (GET /contacts/{id}/merge_history, 2.16), newest first, paged by cursor", async () => {
    const user = await client.contacts.create({ external_id: 'history-listed' });
    const leads: string[] = [];
    for (const name of ['first', 'second', 'third']) {
      const lead = await client.contacts.create({ role: 'lead', name: `History ${name}` });
      const merged = await service.request('/contacts/merge', {
        method: 'POST',
        json: { from: lead.id, into: user.id },
      });
      expect(merged.status).toBe(200);
      leads.push(lead.id);
    }
    type Page = {
      type: string;
      data: Array<{ type: string; source_contact_id: string; source_contact_role: string }>;
      next_cursor?: string;
      has_more: boolean;
    };
    const pageOf = async (query: string) => {
      const response = await service.request(`/contacts/${user.id}/merge_history${query}`, {
        headers: { 'Intercom-Version': '2.16' },
      });
      return { status: response.status, body: (await response.json()) as Page };
    };
    const whole = await pageOf('');
    expect(whole.status).toBe(200);
    expect(whole.body).toMatchObject({ type: 'list', has_more: false });
    expect(whole.body).not.toHaveProperty('next_cursor');
    expect(whole.body.data.map((item) => item.source_contact_id)).toEqual([...leads].reverse());
    expect(whole.body.data[0]).toMatchObject({
      type: 'merge_history',
      source_contact_role: 'lead',
    });
    // In Intercom's order on every store (PostgreSQL's jsonb keeps keys in an order of its own).
    expect(Object.keys(whole.body.data[0]!)).toEqual([
      'type',
      'source_contact_id',
      'source_contact_role',
      'merged_at',
    ]);

    const seen: string[] = [];
    let query = '?per_page=2&order=asc';
    for (;;) {
      const page = await pageOf(query);
      seen.push(...page.body.data.map((item) => item.source_contact_id));
      if (!page.body.has_more) break;
      query = `?per_page=2&order=asc&cursor=${page.body.next_cursor!}`;
    }
    expect(seen).toEqual(leads);

    // A lead has none (404, as Intercom answers); so has an unknown id; a bad query is named.
    const lead = await client.contacts.create({ role: 'lead', name: 'History lead' });
    const ofLead = await service.request(`/contacts/${lead.id}/merge_history`);
    expect(ofLead.status).toBe(404);
    expect((await service.request('/contacts/000000000000000000000000/merge_history')).status).toBe(
      404,
    );
    for (const [bad, field] of [
      ['order=sideways', 'order'],
      ['per_page=151', 'per_page'],
      ['cursor=not-a-cursor', 'cursor'],
    ]) {
      const refused = await pageOf(`?${bad}`);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ errors: [{ field }] });
    }
  });

  it('a merged lead email becomes the user email only when no other user holds it', async () => {
    const holder = await client.contacts.create({ email: 'taken@merge.test' });
    const leadWithTaken = await client.contacts.create({ role: 'lead', email: 'taken@merge.test' });
    const leadWithFree = await client.contacts.create({ role: 'lead', email: 'free@merge.test' });
    const first = await client.contacts.create({ external_id: 'no-email-1' });
    const second = await client.contacts.create({ external_id: 'no-email-2' });

    expect(
      (await client.contacts.mergeLeadInUser({ from: leadWithTaken.id, into: first.id })).email,
    ).toBeNull();
    expect(
      (await client.contacts.mergeLeadInUser({ from: leadWithFree.id, into: second.id })).email,
    ).toBe('free@merge.test');
    const duplicate = await service.request('/contacts', {
      method: 'POST',
      json: { email: 'free@merge.test' },
    });
    expect(duplicate.status).toBe(409);
    expect(holder.email).toBe('taken@merge.test');
  });

  it('lists, creates and updates data attributes, and validates custom attribute writes with them', async () => {
    // The SDK's generated request type omits name, model and description, which it sends as given.
    const createRequest = {
      name: 'plan_tier',
      model: 'contact',
      data_type: 'string',
      description: 'Billing plan',
    };
    const attribute = await client.dataAttributes.create(
      createRequest as Parameters<typeof client.dataAttributes.create>[0],
    );
    expect(attribute).toMatchObject({
      type: 'data_attribute',
      name: 'plan_tier',
      data_type: 'string',
      custom: true,
    });

    const updated = await client.dataAttributes.update({
      data_attribute_id: attribute.id!,
      body: { description: 'The billing plan' },
    });
    expect(updated.description).toBe('The billing plan');

    const list = await client.dataAttributes.list({ model: 'contact' });
    const names = list.data?.map((item) => item.name) ?? [];
    expect(names).toContain('plan_tier');
    expect(list.data?.find((item) => item.name === 'email')).toMatchObject({ custom: false });

    const contact = await client.contacts.create({
      email: 'plan@example.com',
      custom_attributes: { plan_tier: 'pro' },
    });
    expect(contact.custom_attributes).toEqual({ plan_tier: 'pro' });
    expect(
      await statusOf(
        client.contacts.create({ email: 'x@example.com', custom_attributes: { unknown_attr: 1 } }),
      ),
    ).toBe(400);
  });

  it('keeps workspaces apart: another workspace cannot read, search, update or merge these contacts', async () => {
    const mine = await client.contacts.create({
      external_id: 'private-1',
      email: 'private@example.com',
    });
    const lead = await client.contacts.create({ role: 'lead', name: 'Private lead' });
    const other = new IntercomClient({ token: GLOBEX_TOKEN, baseUrl: service.baseUrl });
    expect(await statusOf(other.contacts.find({ contact_id: mine.id }))).toBe(404);
    expect(await statusOf(other.contacts.update({ contact_id: mine.id, name: 'Hijacked' }))).toBe(
      404,
    );
    expect(await statusOf(other.contacts.mergeLeadInUser({ from: lead.id, into: mine.id }))).toBe(
      404,
    );
    expect(await statusOf(other.contacts.delete({ contact_id: mine.id }))).toBe(404);
    const search = await other.contacts.search({
      query: { field: 'external_id', operator: '=', value: 'private-1' },
    });
    expect(search.data).toEqual([]);
    expect((await client.contacts.find({ contact_id: mine.id })).name).toBeNull();
    // The same external_id is free in the other workspace.
    expect((await other.contacts.create({ external_id: 'private-1' })).workspace_id).toBe('globex');
  });
});

/**
 * The whole service with its read models on PostgreSQL (`DATABASE_URL`), driven through the SDK:
 * the same projections and queries as on SQLite, on the production database.
 */
const availability = postgresAvailability();
if (availability.reachable || postgresRequired()) {
  describe('the SDK against the service on PostgreSQL read models', postgresSuite);
} else {
  // Not registered, as the other PostgreSQL suites do when it is unreachable; says so.
  process.stderr.write(
    `\n[postgres read models e2e] PostgreSQL unreachable (${availability.reason}): 1 test not registered. ` +
      'Set REQUIRE_POSTGRES=1 to fail instead.\n',
  );
}

function postgresSuite(): void {
  let service: TestApp;

  beforeAll(async () => {
    service = await startTestAppOnPostgres();
  });
  afterAll(() => service.close());

  it('creates, reads, searches, pages and merges contacts with read-your-writes', async () => {
    const client = new IntercomClient({ token: ACME_TOKEN, baseUrl: service.baseUrl });
    const user = await client.contacts.create({
      external_id: 'pg-user',
      email: 'PG.User@Example.com',
      custom_attributes: {},
    });
    expect((await client.contacts.find({ contact_id: user.id })).email).toBe('PG.User@Example.com');
    const lead = await client.contacts.create({ role: 'lead', name: 'PG lead' });
    for (let index = 0; index < 4; index += 1) {
      await client.contacts.create({ role: 'lead', name: `pg-${index}` });
    }

    const found = await client.contacts.search({
      query: { field: 'email', operator: '=', value: 'pg.user@example.com' },
    });
    expect(found.data.map((contact) => contact.id)).toEqual([user.id]);

    const listed: string[] = [];
    for await (const contact of await client.contacts.list({ per_page: 2 }))
      listed.push(contact.id);
    expect(listed).toHaveLength(6);
    expect(new Set(listed).size).toBe(6);

    const merged = await client.contacts.mergeLeadInUser({ from: lead.id, into: user.id });
    expect(merged).toMatchObject({ id: user.id, name: 'PG lead' });
    const gone = await service.request(`/contacts/${lead.id}`, {
      headers: { 'Intercom-Version': '2.16' },
    });
    expect(gone.status).toBe(410);
    // merge_history items in Intercom's key order, though jsonb keeps keys in its own.
    const history = await service.request(`/contacts/${user.id}/merge_history`);
    const items = ((await history.json()) as { data: Array<Record<string, unknown>> }).data;
    expect(items.map((item) => Object.keys(item))).toEqual([
      ['type', 'source_contact_id', 'source_contact_role', 'merged_at'],
    ]);
  });
}

/**
 * The production event store path: the service on the EventStoreDB adapter, through the real
 * client over gRPC to the in-process stand-in of EventStoreDB's protocol.
 */
describe('the SDK against the service on the EventStoreDB adapter', () => {
  let service: TestApp;

  beforeAll(async () => {
    service = await startTestAppOnStandIn();
  });
  afterAll(() => service.close());

  it('creates, finds, searches and merges contacts, and refuses a duplicate external_id', async () => {
    const client = new IntercomClient({ token: ACME_TOKEN, baseUrl: service.baseUrl });
    const user = await client.contacts.create({
      external_id: 'esdb-user',
      email: 'esdb@example.com',
    });
    const lead = await client.contacts.create({ role: 'lead', name: 'ESDB lead' });
    expect((await client.contacts.find({ contact_id: user.id })).external_id).toBe('esdb-user');
    const found = await client.contacts.search({
      query: { field: 'external_id', operator: '=', value: 'esdb-user' },
    });
    expect(found.data.map((contact) => contact.id)).toEqual([user.id]);
    const duplicate = await service.request('/contacts', {
      method: 'POST',
      json: { external_id: 'esdb-user' },
    });
    expect(duplicate.status).toBe(409);
    const merged = await client.contacts.mergeLeadInUser({ from: lead.id, into: user.id });
    expect(merged).toMatchObject({ id: user.id, name: 'ESDB lead' });
  });
});

import { IntercomClient, IntercomError } from 'intercom-client';
import { request as httpRequest } from 'node:http';
import { ContactLocator } from '../../src/identity-resolution/contact-locator';
import { eventually } from '../support/eventually';
import { ACME_TOKEN, startTestApp, type TestApp } from '../support/test-app';

/**
 * The official SDK (`intercom-client` 7) drives the Visitors, Conversations and Data Events APIs;
 * visitors come from messenger ingestion, as they do in production.
 */
describe('Visitors, conversations and data events through the official intercom-client SDK', () => {
  let service: TestApp;
  let client: IntercomClient;
  const now = Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    service = await startTestApp();
    client = new IntercomClient({ token: ACME_TOKEN, baseUrl: service.baseUrl });
  });
  afterAll(() => service.close());

  async function seeVisitor(visitorId: string): Promise<string> {
    const response = await service.request('/messenger/events', {
      method: 'POST',
      json: {
        events: [
          {
            id: `seen-${visitorId}`,
            type: 'visitor.seen',
            occurred_at: now - 60,
            visitor_id: visitorId,
            context: {
              browser: 'firefox',
              location: { country: 'Ireland', city: 'Dublin' },
              page_url: 'https://shop.example/pricing',
              referrer: 'https://news.example/launch',
              utm_source: 'newsletter',
              utm_campaign: 'launch',
            },
          },
        ],
      },
    });
    const body = (await response.json()) as { results: Array<{ contact_id: string }> };
    await eventually(async () =>
      (await service.request(`/visitors?user_id=${visitorId}`)).status === 200 ? true : undefined,
    );
    return body.results[0]!.contact_id;
  }

  async function statusOf(promise: Promise<unknown>): Promise<number | undefined> {
    try {
      await promise;
      return 200;
    } catch (error) {
      if (error instanceof IntercomError) return error.statusCode;
      throw error;
    }
  }

  it('finds and updates a visitor', async () => {
    const id = await seeVisitor('sdk-visitor-1');
    const found = await client.visitors.find({ user_id: 'sdk-visitor-1' });
    expect(found).toMatchObject({
      type: 'visitor',
      id,
      user_id: 'sdk-visitor-1',
      anonymous: true,
      app_id: 'acme',
      location_data: { country_name: 'Ireland', city_name: 'Dublin' },
      last_request_at: now - 60,
      // The SDK's Visitor type reads it under the OpenAPI schema's spelling.
      las_request_at: now - 60,
      referrer: 'https://news.example/launch',
      utm_source: 'newsletter',
      utm_campaign: 'launch',
      utm_medium: null,
    });
    // Intercom's string and integer fields hold no null: what was never reported is left out.
    expect(found?.location_data).toEqual({
      type: 'location_data',
      country_name: 'Ireland',
      city_name: 'Dublin',
    });
    expect(found).not.toHaveProperty('signed_up_at');
    const updated = await client.visitors.update({ user_id: 'sdk-visitor-1', name: 'Gareth Bale' });
    expect(updated).toMatchObject({ id, name: 'Gareth Bale' });
    expect(await client.visitors.update({ id, name: 'G. Bale' })).toMatchObject({
      name: 'G. Bale',
    });
    // Both id and user_id, naming two visitors: refused, neither changed.
    await seeVisitor('sdk-visitor-1b');
    const mismatched = await service.request('/visitors', {
      method: 'PUT',
      json: { id, user_id: 'sdk-visitor-1b', name: 'Which one' },
    });
    expect(mismatched.status).toBe(409);
    const { errors } = (await mismatched.json()) as { errors: Array<Record<string, string>> };
    expect(errors[0]).toMatchObject({ code: 'conflict', field: 'user_id' });
    expect(await client.visitors.find({ user_id: 'sdk-visitor-1' })).toMatchObject({
      name: 'G. Bale',
    });
    expect(await statusOf(client.visitors.find({ user_id: 'nobody-at-all' }))).toBe(404);
  });

  it("leaves out las_request_at, an integer in Intercom's schema, for a visitor never seen making a request", async () => {
    const ingested = await service.request('/messenger/events', {
      method: 'POST',
      json: {
        events: [
          {
            id: 'tracked-unseen',
            type: 'event.tracked',
            occurred_at: now - 30,
            visitor_id: 'sdk-visitor-unseen',
            event_name: 'opened-widget',
          },
        ],
      },
    });
    expect(ingested.status).toBe(200);
    await eventually(async () =>
      (await service.request('/visitors?user_id=sdk-visitor-unseen')).status === 200
        ? true
        : undefined,
    );
    const found = await client.visitors.find({ user_id: 'sdk-visitor-unseen' });
    expect(found).toMatchObject({ user_id: 'sdk-visitor-unseen', created_at: now - 30 });
    expect(found).not.toHaveProperty('las_request_at');
    expect(found).not.toHaveProperty('signed_up_at');
    // Intercom's example answers its own spelling null for such a visitor.
    expect(found).toHaveProperty('last_request_at', null);
  });

  it('converts a visitor into a new user, and merges another into that existing user', async () => {
    const first = await seeVisitor('sdk-visitor-2');
    const converted = await client.visitors.mergeToContact({
      type: 'user',
      user: { user_id: 'sdk-user-2', email: 'winston@example.com' },
      visitor: { user_id: 'sdk-visitor-2' },
    });
    expect(converted).toMatchObject({
      type: 'contact',
      id: first,
      role: 'user',
      external_id: 'sdk-user-2',
      email: 'winston@example.com',
    });

    await seeVisitor('sdk-visitor-3');
    const merged = await client.visitors.mergeToContact({
      type: 'user',
      user: { user_id: 'sdk-user-2' },
      visitor: { user_id: 'sdk-visitor-3' },
    });
    expect(merged.id).toBe(first);
    expect(await statusOf(client.visitors.find({ user_id: 'sdk-visitor-3' }))).toBe(404);
    // The SDK's merge history knows leads and users: the visitor merged away is a lead there.
    const history = (await (
      await service.request(`/contacts/${first}?include_merge_history=true`)
    ).json()) as { merge_history: Array<{ source_contact_role: string }> };
    expect(history.merge_history.map((item) => item.source_contact_role)).toEqual(['lead']);

    await seeVisitor('sdk-visitor-4');
    const byId = await client.visitors.mergeToContact({
      type: 'user',
      user: { id: first },
      visitor: { user_id: 'sdk-visitor-4' },
    });
    expect(byId.id).toBe(first);
  });

  it('refuses a conversion without its user or visitor, naming the one left out', async () => {
    await seeVisitor('sdk-visitor-7');
    for (const [body, field] of [
      [{ type: 'user', visitor: { user_id: 'sdk-visitor-7' } }, 'user'],
      [{ type: 'lead', user: { user_id: 'sdk-user-5' } }, 'visitor'],
    ] as const) {
      const response = await service.request('/visitors/convert', { method: 'POST', json: body });
      expect(response.status).toBe(400);
      const { errors } = (await response.json()) as { errors: Array<Record<string, string>> };
      expect(errors[0]).toMatchObject({ code: 'parameter_not_found', field });
    }
    expect((await service.request('/visitors?user_id=sdk-visitor-7')).status).toBe(200);
  });

  it('refuses a conversion to a user whose email or user_id is unusable, or of an unknown visitor, naming the field and converting nothing', async () => {
    await seeVisitor('sdk-visitor-8');
    for (const [visitor, user, status, code, field] of [
      [
        'sdk-visitor-8',
        { user_id: 'sdk-user-8', email: 'bad' },
        400,
        'parameter_invalid',
        'user.email',
      ],
      ['sdk-visitor-8', { user_id: '' }, 400, 'parameter_invalid', 'user.user_id'],
      ['sdk-nobody-8', { user_id: 'sdk-user-8' }, 404, 'not_found', 'visitor.user_id'],
    ] as const) {
      const response = await service.request('/visitors/convert', {
        method: 'POST',
        json: { type: 'user', visitor: { user_id: visitor }, user },
      });
      expect(response.status).toBe(status);
      const { errors } = (await response.json()) as { errors: Array<Record<string, string>> };
      expect(errors[0]).toMatchObject({ code, field });
    }
    // A user_id of spaces names nobody, as an external_id does on POST /contacts.
    for (const type of ['user', 'lead'])
      for (const blank of ['   ', '\t', '\u00a0']) {
        const response = await service.request('/visitors/convert', {
          method: 'POST',
          json: { type, visitor: { user_id: 'sdk-visitor-8' }, user: { user_id: blank } },
        });
        expect({ type, blank, status: response.status, body: await response.json() }).toEqual({
          type,
          blank,
          status: 400,
          body: expect.objectContaining({
            errors: [
              {
                code: 'parameter_invalid',
                field: 'user.user_id',
                message: 'user_id must not be blank',
              },
            ],
          }),
        });
        const found = await service.request(
          `/contacts/find_by_external_id/${encodeURIComponent(blank)}`,
        );
        expect(found.status).toBe(404);
      }
    // A user named by id that is no user: the field is the request's, user.id.
    const lead = (await (
      await service.request('/contacts', {
        method: 'POST',
        json: { role: 'lead', email: 'sdk-lead-8@example.com' },
      })
    ).json()) as { id: string };
    for (const [id, code] of [
      ['650000000000000000000999', 'not_found'],
      [lead.id, 'invalid_merge'],
    ] as const) {
      const response = await service.request('/visitors/convert', {
        method: 'POST',
        json: { type: 'user', visitor: { user_id: 'sdk-visitor-8' }, user: { id } },
      });
      const { errors } = (await response.json()) as { errors: Array<Record<string, string>> };
      expect(errors[0]).toMatchObject({ code, field: 'user.id' });
    }
    const unknown = await service.request('/visitors?user_id=sdk-nobody-8');
    expect(((await unknown.json()) as { errors: unknown[] }).errors[0]).toMatchObject({
      code: 'not_found',
      field: 'user_id',
    });
    expect((await service.request('/visitors?user_id=sdk-visitor-8')).status).toBe(200);
    const search = await service.request('/contacts/search', {
      method: 'POST',
      json: { query: { field: 'external_id', operator: '=', value: 'sdk-user-8' } },
    });
    expect(((await search.json()) as { total_count: number }).total_count).toBe(0);
  });

  it('refuses a conversion whose visitor fields name different contacts, converting nothing', async () => {
    const visitorId = await seeVisitor('sdk-visitor-disagree');
    const owner = (await (
      await service.request('/contacts', {
        method: 'POST',
        json: { email: 'sdk-owner-disagree@example.com' },
      })
    ).json()) as { id: string };
    for (const [visitor, field, message] of [
      [
        { user_id: 'sdk-visitor-disagree', email: 'sdk-owner-disagree@example.com' },
        'visitor.email',
        'user_id and email do not name the same visitor',
      ],
      [
        { id: visitorId, email: 'sdk-owner-disagree@example.com' },
        'visitor.email',
        'id and email do not name the same visitor',
      ],
      [
        { user_id: 'sdk-visitor-disagree', email: 'sdk-nobody-disagree@example.com' },
        'visitor.email',
        'user_id and email do not name the same visitor',
      ],
      [
        { id: owner.id, user_id: 'sdk-visitor-disagree' },
        'visitor.user_id',
        'id and user_id do not name the same visitor',
      ],
    ] as const) {
      const response = await service.request('/visitors/convert', {
        method: 'POST',
        json: { type: 'user', user: { email: 'sdk-new-disagree@example.com' }, visitor },
      });
      expect({ visitor, status: response.status, body: await response.json() }).toEqual({
        visitor,
        status: 409,
        body: expect.objectContaining({ errors: [{ code: 'conflict', field, message }] }),
      });
    }
    expect((await service.request('/visitors?user_id=sdk-visitor-disagree')).status).toBe(200);
    const search = await service.request('/contacts/search', {
      method: 'POST',
      json: { query: { field: 'email', operator: '=', value: 'sdk-new-disagree@example.com' } },
    });
    expect(((await search.json()) as { total_count: number }).total_count).toBe(0);
  });

  it('takes a null identifier as one left out, as it takes any null optional field', async () => {
    const visitorId = await seeVisitor('sdk-visitor-null');
    const refusal = async (response: Response) => {
      const { errors } = (await response.json()) as { errors: Array<Record<string, string>> };
      return { status: response.status, error: errors[0] };
    };
    for (const user of [{ user_id: null }, { email: null }, { id: null, user_id: null }]) {
      const refused = await service.request('/visitors/convert', {
        method: 'POST',
        json: { type: 'user', user, visitor: { id: visitorId } },
      });
      expect(await refusal(refused)).toEqual({
        status: 400,
        error: {
          code: 'parameter_not_found',
          message: 'One of user.id, user.user_id, user.email is required',
          field: 'user',
        },
      });
    }
    const unnamed = await service.request('/visitors', {
      method: 'PUT',
      json: { id: null, user_id: null, name: 'Nobody' },
    });
    expect(await refusal(unnamed)).toEqual({
      status: 400,
      error: {
        code: 'parameter_not_found',
        message: 'One of id or user_id is required',
        field: 'id',
      },
    });
    const renamed = await service.request('/visitors', {
      method: 'PUT',
      json: { id: null, user_id: 'sdk-visitor-null', name: 'Named once' },
    });
    expect(renamed.status).toBe(200);
    expect(await renamed.json()).toMatchObject({ id: visitorId, name: 'Named once' });

    const converted = await service.request('/visitors/convert', {
      method: 'POST',
      json: {
        type: 'user',
        user: { id: null, user_id: 'sdk-user-null', email: null },
        visitor: { id: null, user_id: 'sdk-visitor-null', email: null },
      },
    });
    expect(converted.status).toBe(200);
    expect(await converted.json()).toMatchObject({
      id: visitorId,
      role: 'user',
      external_id: 'sdk-user-null',
      email: null,
    });

    const event = { event_name: 'null-named', created_at: now - 5 };
    const anonymous = await service.request('/events', {
      method: 'POST',
      json: { ...event, id: null, user_id: null, email: null },
    });
    expect(await refusal(anonymous)).toEqual({
      status: 400,
      error: {
        code: 'parameter_not_found',
        message: 'One of id, user_id, email is required',
        field: 'id',
      },
    });
    const tracked = await service.request('/events', {
      method: 'POST',
      json: { ...event, id: null, user_id: 'sdk-user-null', email: null },
    });
    expect(tracked.status).toBe(202);
    const listed = (await (
      await service.request(`/events?type=user&intercom_user_id=${visitorId}`)
    ).json()) as { events: Array<{ event_name: string }> };
    expect(listed.events.map((tracked) => tracked.event_name)).toEqual(['null-named']);
  });

  it('converting a visitor into the user holding the email claims the user_id for that user alone', async () => {
    const createUser = async (email: string) =>
      (await (await service.request('/contacts', { method: 'POST', json: { email } })).json()) as {
        id: string;
      };
    const ann = await createUser('sdk-ann-9@example.com');
    const bob = await createUser('sdk-bob-9@example.com');
    await seeVisitor('sdk-visitor-9');
    const second = await seeVisitor('sdk-visitor-10');
    const convert = (visitor: string, email: string) =>
      service.request('/visitors/convert', {
        method: 'POST',
        json: {
          type: 'user',
          visitor: { user_id: visitor },
          user: { email, user_id: 'sdk-user-9' },
        },
      });

    const converted = await convert('sdk-visitor-9', 'sdk-ann-9@example.com');
    expect(converted.status).toBe(200);
    expect(await converted.json()).toMatchObject({ id: ann.id, external_id: 'sdk-user-9' });

    const refused = await convert('sdk-visitor-10', 'sdk-bob-9@example.com');
    expect(refused.status).toBe(409);
    const { errors } = (await refused.json()) as { errors: Array<Record<string, string>> };
    // Named as the body names it.
    expect(errors[0]).toMatchObject({ code: 'conflict', field: 'user.email' });
    expect(await (await service.request(`/visitors?user_id=sdk-visitor-10`)).json()).toMatchObject({
      id: second,
    });
    expect(await (await service.request(`/contacts/${bob.id}`)).json()).toMatchObject({
      external_id: null,
    });
    const taken = await service.request('/contacts', {
      method: 'POST',
      json: { external_id: 'sdk-user-9' },
    });
    expect(taken.status).toBe(409);
    expect(await taken.text()).toContain(ann.id);
  });

  it('creates a conversation from a visitor, who becomes a lead', async () => {
    const id = await seeVisitor('sdk-visitor-5');
    const message = await client.conversations.create({
      from: { type: 'contact', id },
      body: 'Hello there',
    });
    expect(message).toMatchObject({
      type: 'user_message',
      body: 'Hello there',
      message_type: 'inapp',
    });
    expect(message.conversation_id).toMatch(/^\d+$/);
    // Read-your-writes: the answer came once the read models showed the lead.
    expect(await client.contacts.find({ contact_id: id })).toMatchObject({ role: 'lead' });
    const branded = await service.request('/conversations', {
      method: 'POST',
      json: { from: { type: 'lead', id }, body: 'Again', brand_id: '9' },
    });
    expect(branded.status).toBe(200);
    expect(
      await statusOf(
        client.conversations.create({ from: { type: 'user', id: 'f'.repeat(24) }, body: 'x' }),
      ),
    ).toBe(404);
    // A sender is found as the type it is given: no user by a lead's id, no lead by a user's.
    const user = await client.contacts.create({ external_id: 'sdk-conversation-user' });
    for (const from of [
      { type: 'user', id },
      { type: 'lead', id: user.id },
    ]) {
      const refused = await service.request('/conversations', {
        method: 'POST',
        json: { from, body: 'Whose?' },
      });
      expect(refused.status).toBe(404);
      const { errors } = (await refused.json()) as { errors: Array<Record<string, string>> };
      expect(errors[0]).toMatchObject({ code: 'not_found', field: 'from.id' });
    }
    const asUser = await service.request('/conversations', {
      method: 'POST',
      json: { from: { type: 'user', id: user.id }, body: 'Mine' },
    });
    expect(asUser.status).toBe(200);
    // The lead's id, once the lead is merged into the user, still names a lead: its user sends.
    await client.contacts.mergeLeadInUser({ from: id, into: user.id });
    for (const [type, status] of [
      ['lead', 200],
      ['contact', 200],
      ['user', 404],
    ] as const) {
      const merged = await service.request('/conversations', {
        method: 'POST',
        json: { from: { type, id }, body: 'Merged since' },
      });
      expect({ type, status: merged.status }).toEqual({ type, status });
    }
  });

  it('answers the time a conversation was recorded at: one dated a little ahead of the clock happened now', async () => {
    const user = await client.contacts.create({ external_id: 'sdk-conversation-ahead' });
    const before = Math.floor(Date.now() / 1000);
    const response = await service.request('/conversations', {
      method: 'POST',
      json: { from: { type: 'user', id: user.id }, body: 'Early', created_at: before + 240 },
    });
    const after = Math.floor(Date.now() / 1000);
    expect(response.status).toBe(200);
    const { created_at } = (await response.json()) as { created_at: number };
    expect(created_at).toBeGreaterThanOrEqual(before);
    expect(created_at).toBeLessThanOrEqual(after);
    const contact = await client.contacts.find({ contact_id: user.id });
    expect(contact.last_replied_at).toBe(created_at);
    const timeline = (await (await service.request(`/contacts/${user.id}/timeline`)).json()) as {
      data: Array<{ event_type: string; occurred_at: number }>;
    };
    expect(timeline.data.find((entry) => entry.event_type === 'ConversationStarted')).toMatchObject(
      { occurred_at: created_at },
    );
  });

  it('dates a conversation reported late at its created_at, in the timeline as in last_replied_at, as a messenger item is dated', async () => {
    const id = await seeVisitor('sdk-visitor-late-talk');
    const response = await service.request('/conversations', {
      method: 'POST',
      json: { from: { type: 'contact', id }, body: 'Said earlier', created_at: now - 1000 },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ created_at: now - 1000 });
    const lead = await client.contacts.find({ contact_id: id });
    expect(lead).toMatchObject({ role: 'lead', last_replied_at: now - 1000 });
    const timeline = (await (await service.request(`/contacts/${id}/timeline`)).json()) as {
      data: Array<{ event_type: string; occurred_at: number }>;
    };
    expect(
      timeline.data
        .filter((entry) => ['ConversationStarted', 'VisitorBecameLead'].includes(entry.event_type))
        .map((entry) => [entry.event_type, entry.occurred_at]),
    ).toEqual([
      ['ConversationStarted', now - 1000],
      // From before the visitor was first seen (registered, at now - 60): a lead from then on.
      ['VisitorBecameLead', now - 60],
    ]);
  });

  it('blocks a lead: it starts no conversation after, through the API or the messenger; blocking again changes nothing', async () => {
    const id = await seeVisitor('sdk-visitor-blocked');
    await client.conversations.create({ from: { type: 'contact', id }, body: 'Buy now!!!' });
    const lead = await client.contacts.update({ contact_id: id, external_id: 'spammer-1' });
    expect(lead.role).toBe('lead');

    expect(await client.contacts.blockContact({ contact_id: id })).toEqual({
      type: 'contact',
      id,
      external_id: 'spammer-1',
      blocked: true,
    });
    expect(await client.contacts.blockContact({ contact_id: id })).toMatchObject({ blocked: true });

    const refused = await service.request('/conversations', {
      method: 'POST',
      json: { from: { type: 'lead', id }, body: 'Buy now!!!' },
    });
    expect(refused.status).toBe(422);
    const { errors } = (await refused.json()) as { errors: Array<Record<string, string>> };
    expect(errors[0]).toMatchObject({ code: 'contact_blocked', field: 'from.id' });
    const ingested = await service.request('/messenger/events', {
      method: 'POST',
      json: {
        events: [
          {
            id: 'blocked-conversation',
            type: 'conversation.started',
            // Ahead of the clock by less than producers drift: it happens now, after the block.
            occurred_at: Math.floor(Date.now() / 1000) + 60,
            visitor_id: 'sdk-visitor-blocked',
            conversation_id: 'c-blocked',
          },
          {
            id: 'blocked-sighting',
            type: 'visitor.seen',
            occurred_at: now,
            visitor_id: 'sdk-visitor-blocked',
            context: { browser: 'chrome' },
          },
          {
            id: 'conversation-before-the-block',
            type: 'conversation.started',
            occurred_at: now - 30,
            visitor_id: 'sdk-visitor-blocked',
            conversation_id: 'c-earlier',
          },
        ],
      },
    });
    const { results } = (await ingested.json()) as { results: Array<Record<string, unknown>> };
    expect(results[0]).toMatchObject({
      status: 'rejected',
      errors: [{ code: 'contact_blocked', field: 'visitor_id' }],
    });
    // Blocked from talking, not from being seen; what it said before the block, reported late,
    // stands.
    expect(results[1]).toMatchObject({ status: 'accepted', contact_id: id });
    expect(results[2]).toMatchObject({ status: 'accepted', contact_id: id });

    const timeline = await service.request(`/contacts/${id}/timeline`);
    const { data } = (await timeline.json()) as {
      data: Array<{ event_type: string; summary: string }>;
    };
    const blocks = data.filter((entry) => entry.event_type === 'ContactBlocked');
    expect(blocks).toEqual([expect.objectContaining({ summary: 'Blocked' })]);
    expect(data.filter((entry) => entry.event_type === 'ConversationStarted')).toHaveLength(2);

    // A visitor is no contact of this API, and an unknown id is no contact at all.
    const visitor = await seeVisitor('sdk-visitor-not-blocked');
    expect(await statusOf(client.contacts.blockContact({ contact_id: visitor }))).toBe(404);
    expect(await statusOf(client.contacts.blockContact({ contact_id: 'f'.repeat(24) }))).toBe(404);
    const withBody = await service.request(`/contacts/${id}/block`, {
      method: 'POST',
      json: { reason: 'spam' },
    });
    expect(withBody.status).toBe(400);
  });

  it('keeps a blocked lead blocked as the user it is merged into, by a log-in or the merge route, from the merge on', async () => {
    const visitorId = 'sdk-visitor-blocked-then-merged';
    const lead = await seeVisitor(visitorId);
    const item = (id: string, fields: Record<string, unknown>) => ({
      id,
      occurred_at: Math.floor(Date.now() / 1000),
      visitor_id: visitorId,
      ...fields,
    });
    const ingest = async (...events: unknown[]) => {
      const response = await service.request('/messenger/events', {
        method: 'POST',
        json: { events },
      });
      return ((await response.json()) as { results: Array<Record<string, unknown>> }).results;
    };
    const conversationFrom = (from: { type: string; id: string }, created_at?: number) =>
      service.request('/conversations', {
        method: 'POST',
        json: { from, body: 'Buy now!!!', ...(created_at !== undefined ? { created_at } : {}) },
      });
    await ingest(item('blocked-merged-first', { type: 'conversation.started' }));
    await client.contacts.blockContact({ contact_id: lead });
    const user = await client.contacts.create({ external_id: 'u-blk' });
    const [loggedIn] = await ingest(
      item('blocked-merged-login', { type: 'contact.logged_in', external_id: 'u-blk' }),
    );
    expect(loggedIn).toMatchObject({ status: 'accepted', contact_id: user.id });

    const [again] = await ingest(item('blocked-merged-again', { type: 'conversation.started' }));
    expect(again).toMatchObject({
      status: 'rejected',
      errors: [{ code: 'contact_blocked', field: 'visitor_id' }],
    });
    for (const from of [
      { type: 'lead', id: lead },
      { type: 'user', id: user.id },
    ]) {
      const refused = await conversationFrom(from);
      const { errors } = (await refused.json()) as { errors: Array<Record<string, string>> };
      expect({ from, status: refused.status, error: errors[0] }).toEqual({
        from,
        status: 422,
        error: expect.objectContaining({ code: 'contact_blocked', field: 'from.id' }) as unknown,
      });
    }
    // By event time, as any block: what the user said before the merge, reported late, stands.
    expect((await conversationFrom({ type: 'user', id: user.id }, now - 600)).status).toBe(200);

    const apiLead = await client.contacts.create({ role: 'lead', email: 'blocked@example.com' });
    await client.contacts.blockContact({ contact_id: apiLead.id });
    const apiUser = await client.contacts.create({ external_id: 'u-blk-2' });
    await client.contacts.mergeLeadInUser({ from: apiLead.id, into: apiUser.id });
    expect((await conversationFrom({ type: 'user', id: apiUser.id })).status).toBe(422);
  });

  it('names the field that named a contact merged away between every lookup and write of the request: 410 from 2.16, 404 before', async () => {
    const locator = service.app.get(ContactLocator, { strict: false });
    const user = await client.contacts.create({ external_id: 'sdk-merged-meanwhile' });
    /**
     * A merge lands after each of the route's lookups, before its append: once is run again
     * (writes-racing-a-merge), every time ends refused once the runs are used up.
     */
    async function mergedMeanwhile(contactId: string, merge: () => Promise<unknown>) {
      const before = await locator.locate('acme', contactId);
      await merge();
      jest.spyOn(locator, 'locate').mockResolvedValue(before);
    }
    const mergeLead = async () => {
      jest.restoreAllMocks();
      const lead = await client.contacts.create({ role: 'lead' });
      await mergedMeanwhile(lead.id, () =>
        client.contacts.mergeLeadInUser({ from: lead.id, into: user.id }),
      );
      return lead.id;
    };
    const mergeVisitor = async (visitorId: string) => {
      jest.restoreAllMocks();
      const id = await seeVisitor(visitorId);
      await mergedMeanwhile(id, () =>
        service.request('/visitors/convert', {
          method: 'POST',
          json: { type: 'user', user: { id: user.id }, visitor: { id } },
        }),
      );
      return id;
    };
    try {
      for (const [version, status] of [
        ['2.16', 410],
        ['2.14', 404],
      ] as const) {
        const lead = await mergeLead();
        const response = await service.request('/conversations', {
          method: 'POST',
          headers: { 'Intercom-Version': version },
          json: { from: { type: 'lead', id: lead }, body: 'Meanwhile' },
        });
        expect(response.status).toBe(status);
        const { errors } = (await response.json()) as { errors: Array<Record<string, string>> };
        expect(errors[0]).toMatchObject({ field: 'from.id' });
      }
      for (const [path, method, json, field] of [
        [
          '/events',
          'POST',
          async () => ({ id: await mergeLead(), event_name: 'meanwhile', created_at: now }),
          'id',
        ],
        [
          '/visitors',
          'PUT',
          async () => ({ id: await mergeVisitor('sdk-visitor-meanwhile-1'), name: 'Meanwhile' }),
          'id',
        ],
        [
          '/visitors/convert',
          'POST',
          async () => ({
            type: 'lead',
            user: {},
            visitor: { id: await mergeVisitor('sdk-visitor-meanwhile-2') },
          }),
          'visitor.id',
        ],
      ] as const) {
        const response = await service.request(path, {
          method,
          headers: { 'Intercom-Version': '2.16' },
          json: await json(),
        });
        const { errors } = (await response.json()) as { errors: Array<Record<string, string>> };
        expect({ path, status: response.status, error: errors[0] }).toEqual({
          path,
          status: 410,
          error: expect.objectContaining({ code: 'contact_merged', field }),
        });
      }
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('refuses a conversation without its sender, or with one that is not an object, naming from', async () => {
    for (const [json, code] of [
      [{ body: 'x' }, 'parameter_not_found'],
      [{ from: [], body: 'x' }, 'parameter_invalid'],
      [{ from: 'someone', body: 'x' }, 'parameter_invalid'],
    ] as const) {
      const response = await service.request('/conversations', { method: 'POST', json });
      expect(response.status).toBe(400);
      const { errors } = (await response.json()) as { errors: Array<Record<string, string>> };
      expect(errors).toEqual([expect.objectContaining({ code, field: 'from' })]);
    }
  });

  it('refuses a conversation without a body, or with a blank one, naming body and recording nothing', async () => {
    const id = await seeVisitor('sdk-visitor-blank-body');
    for (const [json, code] of [
      [{ from: { type: 'contact', id } }, 'parameter_not_found'],
      [{ from: { type: 'contact', id }, body: '' }, 'parameter_invalid'],
      [{ from: { type: 'contact', id }, body: ' \n\t ' }, 'parameter_invalid'],
    ] as const) {
      const response = await service.request('/conversations', { method: 'POST', json });
      expect(response.status).toBe(400);
      const { errors } = (await response.json()) as { errors: Array<Record<string, string>> };
      expect(errors).toEqual([expect.objectContaining({ code, field: 'body' })]);
    }
    // Still a visitor: no conversation was started.
    expect(await client.visitors.find({ user_id: 'sdk-visitor-blank-body' })).toMatchObject({ id });
  });

  it('refuses a blank event name and attachments that are no web URLs, naming the field and recording nothing', async () => {
    const user = await client.contacts.create({ external_id: 'sdk-blank-1' });
    for (const [path, json, field] of [
      ['/events', { id: user.id, event_name: '   ', created_at: now - 5 }, 'event_name'],
      [
        '/conversations',
        { from: { type: 'user', id: user.id }, body: 'hi', attachment_urls: ['not a url'] },
        'attachment_urls',
      ],
      [
        '/conversations',
        {
          from: { type: 'user', id: user.id },
          body: 'hi',
          attachment_urls: ['https://files.example/a.png', 'javascript:alert(1)'],
        },
        'attachment_urls',
      ],
    ] as const) {
      const response = await service.request(path, { method: 'POST', json });
      expect(response.status).toBe(400);
      const { errors } = (await response.json()) as { errors: Array<Record<string, string>> };
      expect(errors).toEqual([expect.objectContaining({ code: 'parameter_invalid', field })]);
    }
    const events = await client.events.list({ type: 'user', intercom_user_id: user.id });
    expect((events as unknown as { events: unknown[] }).events).toEqual([]);
    const contact = await client.contacts.find({ contact_id: user.id });
    expect(contact.last_replied_at ?? null).toBeNull();
  });

  it("pages a contact's data events by the absolute next URL each page gives", async () => {
    const user = await client.contacts.create({ external_id: 'sdk-paged-events' });
    for (let index = 0; index < 5; index += 1)
      await client.events.create({
        id: user.id,
        event_name: `step-${index}`,
        created_at: now - 50 + index,
      });
    const names: string[] = [];
    let url: string | undefined =
      `${service.baseUrl}/events?type=user&intercom_user_id=${user.id}&per_page=2`;
    while (url !== undefined) {
      expect(url.startsWith(`${service.baseUrl}/events?`)).toBe(true);
      const response = await fetch(url, { headers: { authorization: `Bearer ${ACME_TOKEN}` } });
      expect(response.status).toBe(200);
      const page = (await response.json()) as {
        events: Array<{ event_name: string }>;
        pages: { next?: string };
      };
      names.push(...page.events.map((event) => event.event_name));
      url = page.pages.next;
    }
    expect(names).toEqual(['step-4', 'step-3', 'step-2', 'step-1', 'step-0']);
    // A cursor pages the events of the contact it came from only, and holds storable text only.
    const other = await client.contacts.create({ external_id: 'sdk-paged-events-other' });
    const firstPage = (await (
      await service.request(`/events?type=user&intercom_user_id=${user.id}&per_page=2`)
    ).json()) as { pages: { next: string } };
    const cursor = new URL(firstPage.pages.next, service.baseUrl).searchParams.get(
      'starting_after',
    )!;
    const [createdAt] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [number];
    const withNul = Buffer.from(JSON.stringify([createdAt, 'a\u0000', user.id])).toString(
      'base64url',
    );
    for (const [contactId, startingAfter] of [
      [other.id, cursor],
      [user.id, withNul],
    ] as const) {
      const refused = await service.request(
        `/events?type=user&intercom_user_id=${contactId}&per_page=2&starting_after=${startingAfter}`,
      );
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({
        errors: [{ code: 'parameter_invalid', field: 'starting_after' }],
      });
    }
    // A Host header that names no host does not become the link's: the link is a path then.
    const { port } = new URL(service.baseUrl);
    const body = await new Promise<string>((resolve, reject) => {
      const request = httpRequest(
        {
          port,
          host: '127.0.0.1',
          path: `/events?type=user&intercom_user_id=${user.id}&per_page=2`,
          headers: { host: 'evil.example/x?y=', authorization: `Bearer ${ACME_TOKEN}` },
        },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve(text));
        },
      );
      request.on('error', reject);
      request.end();
    });
    const { pages } = JSON.parse(body) as { pages: { next?: string } };
    expect(pages.next).toMatch(/^\/events\?type=user&/);
  });

  it('refuses a conversation or a data event dated more than five minutes ahead, naming created_at', async () => {
    const user = await client.contacts.create({ external_id: 'sdk-future-1' });
    const ahead = Math.floor(Date.now() / 1000) + 3600;
    for (const [path, json] of [
      ['/conversations', { from: { type: 'user', id: user.id }, body: 'hi', created_at: ahead }],
      ['/events', { id: user.id, event_name: 'from-the-future', created_at: ahead }],
    ] as const) {
      const response = await service.request(path, { method: 'POST', json });
      expect(response.status).toBe(400);
      const { errors } = (await response.json()) as { errors: Array<Record<string, string>> };
      expect(errors[0]).toMatchObject({ code: 'parameter_invalid', field: 'created_at' });
    }
    const contact = await client.contacts.find({ contact_id: user.id });
    expect(contact.last_replied_at ?? null).toBeNull();
  });

  it('refuses a data event whose id and user_id or email name different contacts, recording nothing', async () => {
    const [first, second] = await Promise.all(
      ['one', 'two'].map((label) =>
        client.contacts.create({ external_id: `events-${label}`, email: `events-${label}@x.test` }),
      ),
    );
    for (const [json, field] of [
      [{ id: first!.id, user_id: 'events-two' }, 'user_id'],
      [{ id: first!.id, email: 'events-two@x.test' }, 'email'],
      [{ user_id: 'events-one', email: 'events-two@x.test' }, 'email'],
    ] as const) {
      const response = await service.request('/events', {
        method: 'POST',
        json: { ...json, event_name: 'whose', created_at: now - 5 },
      });
      expect(response.status).toBe(409);
      const { errors } = (await response.json()) as { errors: Array<Record<string, string>> };
      expect(errors[0]).toMatchObject({ code: 'conflict', field });
    }
    for (const contact of [first!, second!]) {
      const listed = (await client.events.list({
        type: 'user',
        intercom_user_id: contact.id,
      })) as unknown as { events: unknown[] };
      expect(listed.events).toEqual([]);
    }
  });

  it('answers a data event whose id names no contact 404 naming id, whatever user_id or email it gives', async () => {
    await client.contacts.create({ external_id: 'events-three', email: 'events-three@x.test' });
    for (const json of [
      { id: 'ffffffffffffffffffffffff', user_id: 'events-three' },
      { id: '', user_id: 'events-three' },
      { id: 'ffffffffffffffffffffffff', email: 'events-three@x.test' },
    ]) {
      const response = await service.request('/events', {
        method: 'POST',
        json: { ...json, event_name: 'whose', created_at: now - 5 },
      });
      expect(response.status).toBe(404);
      const { errors } = (await response.json()) as { errors: Array<Record<string, string>> };
      expect(errors).toEqual([{ code: 'not_found', message: 'Contact Not Found', field: 'id' }]);
    }
  });

  it("writes and reads data events by a lead's email, and refuses an email several leads share", async () => {
    const lead = await client.contacts.create({ role: 'lead', email: 'events-lead@example.com' });
    await client.events.create({
      email: 'events-lead@example.com',
      event_name: 'lead-event',
      created_at: now - 5,
    });
    const eventsOf = async (by: { email: string } | { user_id: string }) =>
      (
        (await client.events.list({ type: 'user', ...by })) as unknown as {
          events: Array<{ event_name: string; intercom_user_id: string }>;
        }
      ).events;
    expect(await eventsOf({ email: 'events-lead@example.com' })).toEqual([
      expect.objectContaining({ event_name: 'lead-event', intercom_user_id: lead.id }),
    ]);
    // A lead's external_id names it for reading as it does for writing.
    const identified = await client.contacts.create({ role: 'lead', external_id: 'events-lead-2' });
    await client.events.create({ user_id: 'events-lead-2', event_name: 'lead-2', created_at: now });
    expect(await eventsOf({ user_id: 'events-lead-2' })).toEqual([
      expect.objectContaining({ event_name: 'lead-2', intercom_user_id: identified.id }),
    ]);

    // Nobody holds it: the 404 names the field that named nobody.
    for (const [response, field] of [
      [
        await service.request('/events', {
          method: 'POST',
          json: { email: 'nobody-here@example.com', event_name: 'x', created_at: now - 5 },
        }),
        'email',
      ],
      [await service.request('/events?type=user&user_id=nobody-here'), 'user_id'],
    ] as const) {
      expect(response.status).toBe(404);
      const { errors } = (await response.json()) as { errors: Array<Record<string, string>> };
      expect(errors[0]).toMatchObject({ code: 'not_found', field });
    }

    await client.contacts.create({ role: 'lead', email: 'events-shared@example.com' });
    await client.contacts.create({ role: 'lead', email: 'events-shared@example.com' });
    const written = await service.request('/events', {
      method: 'POST',
      json: { email: 'events-shared@example.com', event_name: 'x', created_at: now - 5 },
    });
    const read = await service.request('/events?type=user&email=events-shared@example.com');
    for (const response of [written, read]) {
      expect(response.status).toBe(409);
      const { errors } = (await response.json()) as { errors: Array<Record<string, string>> };
      expect(errors[0]).toMatchObject({ code: 'conflict', field: 'email' });
    }
  });

  it('submits data events, deduplicated by name and created_at, and lists them with a summary', async () => {
    const user = await client.contacts.create({
      external_id: 'sdk-events-1',
      email: 'events@example.com',
    });
    await client.events.create({
      user_id: 'sdk-events-1',
      event_name: 'invited-friend',
      created_at: now - 30,
      metadata: { invite_code: 'ADDAFRIEND' },
    });
    await client.events.create({ id: user.id, event_name: 'invited-friend', created_at: now - 30 });
    await client.events.create({
      email: 'events@example.com',
      event_name: 'invited-friend',
      created_at: now - 20,
    });
    await client.events.create({ id: user.id, event_name: 'placed-order', created_at: now - 10 });

    const list = (await client.events.list({
      type: 'user',
      intercom_user_id: user.id,
    })) as unknown as {
      type: string;
      events: Array<{ event_name: string; created_at: number; metadata: unknown }>;
    };
    expect(list.type).toBe('event.list');
    expect(list.events.map((event) => [event.event_name, event.created_at])).toEqual([
      ['placed-order', now - 10],
      ['invited-friend', now - 20],
      ['invited-friend', now - 30],
    ]);
    expect(list.events[2]!.metadata).toEqual({ invite_code: 'ADDAFRIEND' });

    const summary = await client.events.list({
      type: 'user',
      user_id: 'sdk-events-1',
      summary: true,
    });
    expect(summary).toMatchObject({
      type: 'event.summary',
      intercom_user_id: user.id,
      user_id: 'sdk-events-1',
      email: 'events@example.com',
    });
    expect(summary.events).toEqual([
      expect.objectContaining({ name: 'invited-friend', count: 2 }),
      expect.objectContaining({ name: 'placed-order', count: 1 }),
    ]);
    expect(
      await statusOf(client.events.create({ user_id: 'nobody', event_name: 'x', created_at: now })),
    ).toBe(404);
  });

  it('refuses a data event list naming no contact as a missing parameter, and one naming two as invalid', async () => {
    for (const [query, code, field] of [
      ['type=user', 'parameter_not_found', 'intercom_user_id'],
      ['type=user&summary=true', 'parameter_not_found', 'intercom_user_id'],
      ['type=user&user_id=u-1&email=a%40example.com', 'parameter_invalid', 'email'],
    ] as const) {
      const response = await service.request(`/events?${query}`);
      expect(response.status).toBe(400);
      const { errors } = (await response.json()) as { errors: Array<Record<string, string>> };
      expect(errors).toEqual([expect.objectContaining({ code, field })]);
    }
  });

  it("lists a contact's data events through the unstable SDK's filter as through events.list", async () => {
    const lead = await client.contacts.create({
      role: 'lead',
      external_id: 'sdk-filter-1',
      email: 'sdk-filter@example.com',
    });
    await client.events.create({ id: lead.id, event_name: 'opened-app', created_at: now - 20 });
    await client.events.create({
      id: lead.id,
      event_name: 'placed-order',
      created_at: now - 10,
      metadata: { order: 'A-1' },
    });
    for (const filter of [
      { user_id: 'sdk-filter-1' },
      { intercom_user_id: lead.id },
      { email: 'sdk-filter@example.com' },
    ]) {
      for (const summary of [undefined, true]) {
        const stable = await client.events.list({ type: 'user', ...filter, summary });
        const unstable = await client.unstable.dataEvents.lisDataEvents({
          filter,
          type: 'user',
          summary,
        });
        expect(unstable).toEqual(stable);
        expect((stable as unknown as { events: unknown[] }).events).toHaveLength(2);
      }
    }

    const refusal = async (query: string) => {
      const response = await service.request(`/events?type=user&${query}`);
      const { errors } = (await response.json()) as { errors: Array<Record<string, string>> };
      return { status: response.status, errors };
    };
    const filterOf = (value: string) => `filter=${encodeURIComponent(value)}`;
    for (const malformed of [
      'sdk-filter-1',
      '{"user_id":',
      '[]',
      'null',
      '"sdk-filter-1"',
      '{}',
      '{"user_id":1}',
      '{"external_id":"sdk-filter-1"}',
      '{"__proto__":"sdk-filter-1"}',
      '{"user_id":"sdk-filter-1","email":"sdk-filter@example.com"}',
    ]) {
      expect(await refusal(filterOf(malformed))).toEqual({
        status: 400,
        errors: [expect.objectContaining({ code: 'parameter_invalid', field: 'filter' })],
      });
    }
    // Named twice, by the filter and by a parameter of its own: even the same contact is refused.
    for (const twice of ['user_id=sdk-filter-1', `intercom_user_id=${lead.id}`]) {
      expect(await refusal(`${filterOf('{"user_id":"sdk-filter-1"}')}&${twice}`)).toEqual({
        status: 400,
        errors: [expect.objectContaining({ code: 'parameter_invalid', field: 'filter' })],
      });
    }
    // A filter naming nobody, or an email several leads share, names the filter's key.
    expect(await refusal(filterOf('{"user_id":"nobody-here"}'))).toEqual({
      status: 404,
      errors: [{ code: 'not_found', message: 'Contact Not Found', field: 'filter.user_id' }],
    });
    await client.contacts.create({ role: 'lead', email: 'sdk-filter-shared@example.com' });
    await client.contacts.create({ role: 'lead', email: 'sdk-filter-shared@example.com' });
    expect(await refusal(filterOf('{"email":"sdk-filter-shared@example.com"}'))).toEqual({
      status: 409,
      errors: [expect.objectContaining({ code: 'conflict', field: 'filter.email' })],
    });
  });

  it("adds reported event summaries to a user's summary, once per report, and refuses bad ones by name", async () => {
    const user = await client.contacts.create({ external_id: 'sdk-summaries-1' });
    await client.events.create({ id: user.id, event_name: 'invited-friend', created_at: now - 30 });
    await client.events.create({ id: user.id, event_name: 'invited-friend', created_at: now - 20 });
    const report = {
      user_id: 'sdk-summaries-1',
      event_summaries: {
        event_name: 'invited-friend',
        count: 5,
        first: now - 1000,
        last: now - 500,
      },
    };
    await client.events.summaries(report);
    // The same report again (a retry) adds nothing.
    await client.events.summaries(report);
    await client.events.summaries({
      user_id: 'sdk-summaries-1',
      event_summaries: { event_name: 'placed-order', count: 2, first: now - 90, last: now - 60 },
    });
    const summary = await client.events.list({
      type: 'user',
      user_id: 'sdk-summaries-1',
      summary: true,
    });
    const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace('Z', '+00:00');
    expect(summary.events).toEqual([
      { name: 'invited-friend', first: iso(now - 1000), last: iso(now - 20), count: 7 },
      { name: 'placed-order', first: iso(now - 90), last: iso(now - 60), count: 2 },
    ]);
    // Reported counts are no events of their own: the list shows the tracked ones only.
    const list = (await client.events.list({
      type: 'user',
      intercom_user_id: user.id,
    })) as unknown as {
      events: unknown[];
    };
    expect(list.events).toHaveLength(2);

    for (const [json, status, field] of [
      [{ ...report, user_id: 'nobody-here' }, 404, 'user_id'],
      [{ event_summaries: report.event_summaries }, 400, 'user_id'],
      [{ user_id: 'sdk-summaries-1' }, 400, 'event_summaries'],
      [
        { ...report, event_summaries: { ...report.event_summaries, count: 0 } },
        400,
        'event_summaries.count',
      ],
      [
        { ...report, event_summaries: { ...report.event_summaries, first: now } },
        400,
        'event_summaries.first',
      ],
      [
        { ...report, event_summaries: { ...report.event_summaries, event_name: ' ' } },
        400,
        'event_summaries.event_name',
      ],
      [
        { ...report, event_summaries: { ...report.event_summaries, last: now + 3600 } },
        400,
        'event_summaries.last',
      ],
      [
        { ...report, event_summaries: { ...report.event_summaries, count: 2 ** 31 } },
        400,
        'event_summaries.count',
      ],
      [{ ...report, user_id: '  ' }, 400, 'user_id'],
    ] as const) {
      const response = await service.request('/events/summaries', { method: 'POST', json });
      expect(response.status).toBe(status);
      const { errors } = (await response.json()) as { errors: Array<Record<string, string>> };
      expect(errors[0]).toMatchObject({ field });
    }
    expect(
      await client.events.list({ type: 'user', user_id: 'sdk-summaries-1', summary: true }),
    ).toEqual(summary);
  });

  it("counts a lead's data events for its user when merged, one of the same name and second as the user's included, and a retry after as a repeat", async () => {
    const lead = await client.contacts.create({ role: 'lead', name: 'Tracked lead' });
    const user = await client.contacts.create({ external_id: 'sdk-events-merged' });
    const event = { id: lead.id, event_name: 'lead-only', created_at: now - 30 };
    await client.events.create(event);
    // Tracked on each before the merge: two events, both the user's after it.
    await client.events.create({ id: lead.id, event_name: 'on-both', created_at: now - 25 });
    await client.events.create({ id: user.id, event_name: 'on-both', created_at: now - 25 });
    // A lead has no email or user_id: Intercom's objects leave them out rather than null them.
    const leadEvents = await service.request(`/events?type=user&intercom_user_id=${lead.id}`);
    const leadList = (await leadEvents.json()) as { events: Array<Record<string, unknown>> };
    expect(leadList.events).toHaveLength(2);
    for (const listed of leadList.events) {
      expect(listed).toMatchObject({ type: 'event', intercom_user_id: lead.id });
      expect(Object.keys(listed)).not.toEqual(expect.arrayContaining(['email']));
      expect(Object.keys(listed)).not.toEqual(expect.arrayContaining(['user_id']));
    }
    const leadSummary = await service.request(
      `/events?type=user&intercom_user_id=${lead.id}&summary=true`,
    );
    const leadSummaryBody = (await leadSummary.json()) as Record<string, unknown> & {
      events: Array<Record<string, unknown>>;
    };
    expect(Object.keys(leadSummaryBody).sort()).toEqual(['events', 'intercom_user_id', 'type']);
    expect(Object.keys(leadSummaryBody.events[0]!).sort()).toEqual([
      'count',
      'first',
      'last',
      'name',
    ]);

    await client.contacts.mergeLeadInUser({ from: lead.id, into: user.id });
    // A client retrying the event it sent before the merge: its id now leads to the user.
    await client.events.create(event);
    const summary = await client.events.list({
      type: 'user',
      intercom_user_id: user.id,
      summary: true,
    });
    expect(summary.events).toEqual([
      expect.objectContaining({ name: 'lead-only', count: 1 }),
      expect.objectContaining({ name: 'on-both', count: 2 }),
    ]);
  });
});

import { GLOBEX_TOKEN, startTestApp, type TestApp } from '../support/test-app';

interface Entry {
  id: string;
  event_type: string;
  contact_id: string;
  occurred_at: number;
  summary: string;
  cause: { actor?: string; causation_id?: string };
}
interface Page {
  type: string;
  data: Entry[];
  total_count: number;
  pages: {
    page: number;
    per_page: number;
    total_pages: number;
    next?: { page: number; starting_after: string };
  };
}

/** history.md: `GET /contacts/{id}/timeline`, every event of the contact and of those merged into it. */
describe('GET /contacts/{id}/timeline', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestApp();
  });
  afterAll(() => service.close());

  const now = Math.floor(Date.now() / 1000);

  async function pageOf(path: string, token?: string) {
    const response = await service.request(path, {
      headers: { 'Intercom-Version': '2.16' },
      ...(token ? { token } : {}),
    });
    return { status: response.status, body: (await response.json()) as Page };
  }

  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

  it("lists a user's events and its merged lead's by event time, paged, with what caused each", async () => {
    const ingested = await service.request('/messenger/events', {
      method: 'POST',
      json: {
        events: [
          { id: 'tl-seen', type: 'visitor.seen', occurred_at: now - 500, visitor_id: 'v-tl' },
          {
            id: 'tl-talk',
            type: 'conversation.started',
            occurred_at: now - 400,
            visitor_id: 'v-tl',
            conversation_id: 'c-tl',
          },
          {
            id: 'tl-paid',
            type: 'event.tracked',
            occurred_at: now - 300,
            visitor_id: 'v-tl',
            event_name: 'viewed-pricing',
          },
        ],
      },
    });
    const lead = ((await ingested.json()) as { results: Array<{ contact_id: string }> }).results[0]!
      .contact_id;
    // Reported late through the API: its event time is its created_at, as an item's occurred_at.
    const reported = await service.request('/events', {
      method: 'POST',
      json: { id: lead, event_name: 'reported-late', created_at: now - 250 },
    });
    expect(reported.status).toBe(202);
    const user = (await (
      await service.request('/contacts', {
        method: 'POST',
        json: { external_id: 'tl-user', name: 'Timeline User' },
      })
    ).json()) as { id: string };
    const merged = await service.request('/contacts/merge', {
      method: 'POST',
      json: { from: lead, into: user.id },
    });
    expect(merged.status).toBe(200);

    const whole = await pageOf(`/contacts/${user.id}/timeline`);
    expect(whole.status).toBe(200);
    expect(whole.body.type).toBe('list');
    const types = whole.body.data.map((entry) => [entry.event_type, entry.contact_id]);
    expect(types).toEqual([
      ['VisitorRegistered', lead],
      ['ContactSeen', lead],
      ['ConversationStarted', lead],
      ['VisitorBecameLead', lead],
      ['DataEventTracked', lead],
      ['DataEventTracked', lead],
      ['UserCreated', user.id],
      ['ContactMergedInto', lead],
      ['LeadMergeAbsorbed', user.id],
    ]);
    expect(whole.body.total_count).toBe(9);
    expect(whole.body.data[5]).toMatchObject({ occurred_at: now - 250, cause: { actor: 'api' } });
    const times = whole.body.data.map((entry) => entry.occurred_at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(whole.body.data[4]).toMatchObject({
      summary: 'Tracked "viewed-pricing"',
      cause: { actor: 'messenger', causation_id: 'tl-paid' },
    });
    // The API's writes name the API and the request that made them, each its own.
    const created = whole.body.data[6]!.cause;
    const mergedInto = whole.body.data[7]!.cause;
    expect(created).toEqual({ actor: 'api', causation_id: expect.stringMatching(UUID) });
    expect(mergedInto).toEqual({ actor: 'api', causation_id: expect.stringMatching(UUID) });
    expect(created.causation_id).not.toBe(mergedInto.causation_id);
    expect(whole.body.data[8]!.summary).toBe(
      `Absorbed the lead ${lead} with last_seen_at, last_replied_at`,
    );

    const pages: Entry[] = [];
    const numbering: Array<[number, number, number | undefined]> = [];
    let next: string | undefined;
    do {
      const answer = await pageOf(
        `/contacts/${user.id}/timeline?per_page=4${next ? `&starting_after=${next}` : ''}`,
      );
      pages.push(...answer.body.data);
      const { page, total_pages } = answer.body.pages;
      numbering.push([page, total_pages, answer.body.pages.next?.page]);
      next = answer.body.pages.next?.starting_after;
    } while (next !== undefined);
    expect(pages.map((entry) => entry.id)).toEqual(whole.body.data.map((entry) => entry.id));
    expect(numbering).toEqual([
      [1, 3, 2],
      [2, 3, 3],
      [3, 3, undefined],
    ]);

    // The merged id answers as it does on every read; another workspace knows neither.
    expect((await pageOf(`/contacts/${lead}/timeline`)).status).toBe(410);
    expect((await pageOf(`/contacts/${user.id}/timeline`, GLOBEX_TOKEN)).status).toBe(404);
  });

  it("names the messenger item, not its request, as the cause of a user's email it supplied", async () => {
    const user = (await (
      await service.request('/contacts', { method: 'POST', json: { external_id: 'tl-email' } })
    ).json()) as { id: string; created_at: number };
    const ingested = await service.request('/messenger/events', {
      method: 'POST',
      json: {
        events: [
          {
            id: 'tl-email-supplied',
            type: 'email.supplied',
            // Dated as any item's write is: by the user's creation, so it comes after it.
            occurred_at: user.created_at,
            contact_id: user.id,
            email: 'tl-email@example.com',
          },
        ],
      },
    });
    expect(await ingested.json()).toMatchObject({ results: [{ status: 'accepted' }] });
    const { body } = await pageOf(`/contacts/${user.id}/timeline`);
    expect(body.data.map((entry) => entry.cause)).toEqual([
      { actor: 'api', causation_id: expect.stringMatching(UUID) },
      { actor: 'messenger', causation_id: 'tl-email-supplied' },
    ]);
  });

  it('orders the events of one second as they were recorded, whether their time had milliseconds or not', async () => {
    const user = (await (
      await service.request('/contacts', { method: 'POST', json: { external_id: 'tl-second' } })
    ).json()) as { id: string; created_at: number };
    // Dated at the second the API created the user in, to the second only, recorded after it.
    const ingested = await service.request('/messenger/events', {
      method: 'POST',
      json: {
        events: [
          {
            id: 'tl-same-second',
            type: 'event.tracked',
            occurred_at: user.created_at,
            contact_id: user.id,
            event_name: 'same-second',
          },
        ],
      },
    });
    expect(ingested.status).toBe(200);
    const timeline = await pageOf(`/contacts/${user.id}/timeline`);
    expect(timeline.body.data.map((entry) => [entry.event_type, entry.occurred_at])).toEqual([
      ['UserCreated', user.created_at],
      ['DataEventTracked', user.created_at],
    ]);
  });

  it('dates a merge a late log-in caused once, no earlier than its user, and names the log-in as its cause', async () => {
    const ingest = async (event: Record<string, unknown>) => {
      const response = await service.request('/messenger/events', {
        method: 'POST',
        json: { events: [event] },
      });
      return ((await response.json()) as { results: Array<{ contact_id: string }> }).results[0]!;
    };
    const lead = await ingest({
      id: 'tl-late-talk',
      type: 'conversation.started',
      occurred_at: now - 3000,
      visitor_id: 'v-tl-late',
      conversation_id: 'c-tl-late',
    });
    const user = (await (
      await service.request('/contacts', { method: 'POST', json: { external_id: 'tl-late' } })
    ).json()) as { id: string; created_at: number };
    // Reported late: the log-in happened before the user was created.
    await ingest({
      id: 'tl-late-login',
      type: 'contact.logged_in',
      occurred_at: now - 1000,
      visitor_id: 'v-tl-late',
      external_id: 'tl-late',
    });

    const merged = (await (
      await service.request(`/contacts/${user.id}?include_merge_history=true`, {
        headers: { 'Intercom-Version': '2.16' },
      })
    ).json()) as { merge_history: Array<{ merged_at: number }> };
    const mergedAt = merged.merge_history[0]!.merged_at;
    expect(mergedAt).toBe(user.created_at);
    const entries = (await pageOf(`/contacts/${user.id}/timeline`)).body.data;
    const merge = entries.filter((entry) =>
      ['ContactMergedInto', 'LeadMergeAbsorbed'].includes(entry.event_type),
    );
    expect(merge.map((entry) => [entry.event_type, entry.occurred_at, entry.cause])).toEqual(
      ['ContactMergedInto', 'LeadMergeAbsorbed'].map((type) => [
        type,
        mergedAt,
        { actor: 'messenger', causation_id: 'tl-late-login' },
      ]),
    );
    const leadAsOf = await service.request(`/contacts/${lead.contact_id}?as_of=${mergedAt}`, {
      headers: { 'Intercom-Version': '2.16' },
    });
    expect(leadAsOf.status).toBe(410);
  });

  it('takes X-Min-Position as every read does: a messenger item is readable at once, a position past the log refused', async () => {
    const ingested = await service.request('/messenger/events', {
      method: 'POST',
      json: {
        events: [
          {
            id: 'tl-min-position',
            type: 'conversation.started',
            occurred_at: now,
            visitor_id: 'v-tl-min-position',
            conversation_id: 'c-tl-min-position',
          },
        ],
      },
    });
    const position = ingested.headers.get('x-position')!;
    const lead = ((await ingested.json()) as { results: Array<{ contact_id: string }> }).results[0]!
      .contact_id;
    const read = await service.request(`/contacts/${lead}/timeline`, {
      headers: { 'X-Min-Position': position },
    });
    expect(read.status).toBe(200);
    const beyond = await service.request(`/contacts/${lead}/timeline`, {
      headers: { 'X-Min-Position': String(BigInt(position) + 1_000_000n) },
    });
    expect(beyond.status).toBe(400);
    expect(await beyond.json()).toMatchObject({ errors: [{ field: 'X-Min-Position' }] });
  });

  /**
   * One browser's items as two deliveries, the second late (dated among the first's): the
   * contact they made, the position of the late one and the contact's timeline then.
   */
  async function timelineAfterLateItem(
    name: string,
    onTime: ReadonlyArray<[type: string, at: number, extra?: object]>,
    late: [type: string, at: number, extra?: object],
  ) {
    const item = ([type, at, extra]: [string, number, object?], n: number) => ({
      id: `${name}-${n}`,
      type,
      occurred_at: at,
      visitor_id: `v-${name}`,
      ...extra,
    });
    await service.request('/messenger/events', {
      method: 'POST',
      json: { events: onTime.map(item) },
    });
    const delivered = await service.request('/messenger/events', {
      method: 'POST',
      json: { events: [item(late, onTime.length)] },
    });
    const position = delivered.headers.get('x-position')!;
    const contact = ((await delivered.json()) as { results: Array<{ contact_id: string }> })
      .results[0]!.contact_id;
    const read = await service.request(`/contacts/${contact}/timeline`, {
      headers: { 'Intercom-Version': '2.16', 'X-Min-Position': position },
    });
    const roleAt = async (at: number) =>
      (
        (await (
          await service.request(`/contacts/${contact}?as_of=${at}`, {
            headers: { 'X-Min-Position': position },
          })
        ).json()) as { role: string }
      ).role;
    return { timeline: (await read.json()) as Page, roleAt };
  }

  it('says a lead signed up when a conversation reported late made the visitor a lead before its sign-up', async () => {
    const { timeline, roleAt } = await timelineAfterLateItem(
      'tl-late-lead',
      [
        ['visitor.seen', now - 100],
        ['contact.signed_up', now - 60, { external_id: 'tl-late-lead' }],
      ],
      ['conversation.started', now - 80, { conversation_id: 'c-tl-late-lead' }],
    );
    expect(timeline.data.map((entry) => [entry.occurred_at - now, entry.summary])).toEqual([
      [-100, expect.stringMatching(/^Registered as a visitor/)],
      [-100, 'Seen'],
      [-80, 'Started a conversation (c-tl-late-lead)'],
      [-80, 'Became a lead by starting a conversation'],
      [-60, 'Signed up: the lead became a user with external_id'],
    ]);
    // As the contact's past says: a lead at the sign-up.
    expect(await roleAt(now - 70)).toBe('lead');
  });

  it('says the visitor became a user, and no lead after, when a sign-up reported late came before its conversation', async () => {
    const { timeline, roleAt } = await timelineAfterLateItem(
      'tl-late-user',
      [
        ['visitor.seen', now - 100],
        ['conversation.started', now - 60, { conversation_id: 'c-tl-late-user' }],
      ],
      ['contact.signed_up', now - 80, { external_id: 'tl-late-user' }],
    );
    expect(timeline.data.map((entry) => [entry.occurred_at - now, entry.summary])).toEqual([
      [-100, expect.stringMatching(/^Registered as a visitor/)],
      [-100, 'Seen'],
      [-80, 'Signed up: the visitor became a user with external_id'],
      [-60, 'Started a conversation (c-tl-late-user)'],
    ]);
    expect(timeline.total_count).toBe(4);
    // As the contact's past says: a user from the sign-up on, its conversation included.
    expect([await roleAt(now - 80), await roleAt(now - 60)]).toEqual(['user', 'user']);
  });

  it('says a merged visitor kept its external_id only when it had one', async () => {
    const user = (await (
      await service.request('/contacts', { method: 'POST', json: { external_id: 'tl-kept' } })
    ).json()) as { id: string };
    const loggedIn = await service.request('/messenger/events', {
      method: 'POST',
      json: {
        events: [
          {
            id: 'tl-kept-login',
            type: 'contact.logged_in',
            occurred_at: now - 10,
            visitor_id: 'v-tl-kept',
            external_id: 'tl-kept',
          },
        ],
      },
    });
    const read = await service.request(`/contacts/${user.id}/timeline`, {
      headers: {
        'Intercom-Version': '2.16',
        'X-Min-Position': loggedIn.headers.get('x-position')!,
      },
    });
    const merged = ((await read.json()) as Page).data.find(
      (entry) => entry.event_type === 'ContactMergedInto',
    );
    expect(merged?.summary).toBe(`Merged into ${user.id}`);
  });

  it('summarizes each event in one line, an event name holding line breaks included', async () => {
    const created = await service.request('/contacts', {
      method: 'POST',
      json: { external_id: 'timeline-multiline-event' },
    });
    const { id } = (await created.json()) as { id: string };
    const tracked = await service.request('/events', {
      method: 'POST',
      json: {
        event_name: 'paid\nagain\u2028',
        user_id: 'timeline-multiline-event',
        created_at: now,
      },
    });
    expect(tracked.status).toBe(202);
    const { body } = await pageOf(`/contacts/${id}/timeline`);
    expect(body.data.map((entry) => [entry.event_type, entry.summary])).toEqual(
      expect.arrayContaining([['DataEventTracked', 'Tracked "paid\\nagain\\u2028"']]),
    );
  });

  it('shows no update for a flag cleared (null) while it is false: a cleared flag is false', async () => {
    const created = await service.request('/contacts', {
      method: 'POST',
      json: { external_id: 'timeline-cleared-flag' },
    });
    const { id, updated_at } = (await created.json()) as { id: string; updated_at: number };
    for (let write = 0; write < 2; write++) {
      const answer = await service.request(`/contacts/${id}`, {
        method: 'PUT',
        headers: { 'Intercom-Version': '2.16' },
        json: { unsubscribed_from_emails: null },
      });
      expect(await answer.json()).toMatchObject({ unsubscribed_from_emails: false, updated_at });
    }
    const { body } = await pageOf(`/contacts/${id}/timeline`);
    expect(body.data.map((entry) => entry.event_type)).toEqual(['UserCreated']);
  });

  it("refuses a forged cursor, another list's, and a bad page size, naming them", async () => {
    const user = (await (
      await service.request('/contacts', { method: 'POST', json: { external_id: 'tl-bad' } })
    ).json()) as { id: string };
    const other = (await (
      await service.request('/contacts', { method: 'POST', json: { external_id: 'tl-other' } })
    ).json()) as { id: string };
    await service.request(`/contacts/${other.id}`, { method: 'PUT', json: { name: 'Other' } });
    const otherCursor = (await pageOf(`/contacts/${other.id}/timeline?per_page=1`)).body.pages.next!
      .starting_after;
    const ownCursor = Buffer.from(`${user.id}.0.0`).toString('base64url');
    expect((await pageOf(`/contacts/${user.id}/timeline?starting_after=${ownCursor}`)).status).toBe(
      200,
    );
    // A cursor past the end (forged, or the events it followed are gone): no page numbered beyond
    // the last.
    const pastTheEnd = Buffer.from(`${user.id}.9999999999999999.99999999999999999999`).toString(
      'base64url',
    );
    const beyond = await pageOf(
      `/contacts/${user.id}/timeline?per_page=1&starting_after=${pastTheEnd}`,
    );
    expect(beyond.status).toBe(200);
    expect(beyond.body.pages.total_pages).toBeGreaterThanOrEqual(beyond.body.pages.page);
    for (const [query, field] of [
      ['starting_after=bm90LWEtY3Vyc29y', 'starting_after'],
      [`starting_after=${otherCursor}`, 'starting_after'],
      [`starting_after=${ownCursor}!!`, 'starting_after'],
      [`starting_after=${Buffer.from('0.0').toString('base64url')}`, 'starting_after'],
      ['per_page=151', 'per_page'],
      ['per_page=0', 'per_page'],
    ]) {
      const answer = await pageOf(`/contacts/${user.id}/timeline?${query}`);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ errors: [{ field }] });
    }
    const deleted = await service.request(`/contacts/${user.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect((await pageOf(`/contacts/${user.id}/timeline`)).status).toBe(404);
  });
});

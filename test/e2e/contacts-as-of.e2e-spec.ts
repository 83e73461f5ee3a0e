import { eventually } from '../support/eventually';
import { GLOBEX_TOKEN, startTestApp, type TestApp } from '../support/test-app';

/** history.md: `GET /contacts/{id}?as_of=T` folds the contact's events up to T. */
describe('GET /contacts/{id}?as_of', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestApp();
  });
  afterAll(() => service.close());

  const now = Math.floor(Date.now() / 1000);
  const t0 = now - 1_000;

  async function read(path: string, version = '2.16') {
    const response = await service.request(path, { headers: { 'Intercom-Version': version } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** A messenger batch whose items are all accepted: the first item's contact, and the position. */
  async function ingest(events: unknown[]) {
    const answer = await service.request('/messenger/events', { method: 'POST', json: { events } });
    const { results } = (await answer.json()) as {
      results: Array<{ status: string; contact_id: string }>;
    };
    expect(results.map((result) => result.status)).toEqual(events.map(() => 'accepted'));
    return { id: results[0]!.contact_id, position: answer.headers.get('x-position')! };
  }

  it('answers the contact as its events made it by then, and nothing before it was a lead', async () => {
    const item = (id: string, at: number, fields: Record<string, unknown>) => ({
      id: `as-of-${id}`,
      occurred_at: at,
      visitor_id: 'v-as-of',
      ...fields,
    });
    const ingested = await service.request('/messenger/events', {
      method: 'POST',
      json: {
        events: [
          item('seen', t0, { type: 'visitor.seen' }),
          item('talked', t0 + 100, { type: 'conversation.started', conversation_id: 'c-1' }),
          item('first', t0 + 200, {
            type: 'contact.attributes_updated',
            attributes: { name: 'First name' },
          }),
          item('second', t0 + 300, {
            type: 'contact.attributes_updated',
            attributes: { name: 'Second name' },
          }),
        ],
      },
    });
    const { results } = (await ingested.json()) as { results: Array<{ contact_id: string }> };
    const id = results[0]!.contact_id;
    await eventually(async () =>
      (await read(`/contacts/${id}`)).status === 200 ? true : undefined,
    );

    expect((await read(`/contacts/${id}?as_of=${t0 + 50}`)).status).toBe(404);
    expect((await read(`/contacts/${id}?as_of=${t0 + 150}`)).body).toMatchObject({
      id,
      role: 'lead',
      name: null,
    });
    expect((await read(`/contacts/${id}?as_of=${t0 + 250}`)).body).toMatchObject({
      role: 'lead',
      name: 'First name',
    });
    expect((await read(`/contacts/${id}?as_of=${now}`)).body).toMatchObject({
      name: 'Second name',
    });

    // Merged now: before the merge it was the lead it was; from the merge on, it answers merged.
    const user = (await (
      await service.request('/contacts', { method: 'POST', json: { external_id: 'as-of-user' } })
    ).json()) as { id: string };
    const merged = await service.request('/contacts/merge', {
      method: 'POST',
      json: { from: id, into: user.id },
    });
    expect(merged.status).toBe(200);
    expect((await read(`/contacts/${id}?as_of=${t0 + 250}`)).body).toMatchObject({
      role: 'lead',
      name: 'First name',
    });
    const after = Math.floor(Date.now() / 1000);
    expect((await read(`/contacts/${id}?as_of=${after}`)).status).toBe(410);
    expect((await read(`/contacts/${id}?as_of=${after}`, '2.14')).status).toBe(404);
    expect(
      (await read(`/contacts/${user.id}?as_of=${after}&include_merge_history=true`)).body,
    ).toMatchObject({ name: 'Second name', merge_history: [{ source_contact_id: id }] });

    // Deleted now: no past of it is readable, nor of the lead whose data went into it.
    const deleted = await service.request(`/contacts/${user.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    for (const contact of [user.id, id]) {
      const past = await read(`/contacts/${contact}?as_of=${t0 + 250}`);
      expect(past.status).toBe(404);
      expect(JSON.stringify(past.body)).not.toContain('First name');
    }
    expect((await read(`/contacts/${user.id}?as_of=${after}`)).status).toBe(404);
  });

  it('keeps a value written again against an older write reported later, now and as of any instant', async () => {
    const defined = await service.request('/data_attributes', {
      method: 'POST',
      json: { name: 'plan', model: 'contact', data_type: 'string', messenger_writable: true },
    });
    expect(defined.status).toBe(200);
    const item = (id: string, at: number, fields: Record<string, unknown>) => ({
      id: `as-of-repeat-${id}`,
      occurred_at: at,
      visitor_id: 've1',
      ...fields,
    });
    const write = (id: string, at: number, name: string, plan: string) =>
      item(id, at, {
        type: 'contact.attributes_updated',
        attributes: { name, custom_attributes: { plan } },
      });
    await ingest([
      item('talked', t0, { type: 'conversation.started' }),
      write('gold', t0 + 100, 'Gold', 'gold'),
      write('gold-again', t0 + 200, 'Gold', 'gold'),
    ]);
    const { id, position } = await ingest([write('free', t0 + 150, 'Free', 'free')]);

    const current = await service.request(`/contacts/${id}`, {
      headers: { 'Intercom-Version': '2.16', 'X-Min-Position': position },
    });
    expect(await current.json()).toMatchObject({
      name: 'Gold',
      custom_attributes: { plan: 'gold' },
      updated_at: t0 + 100,
    });
    const asOf = async (at: number) => (await read(`/contacts/${id}?as_of=${at}`)).body;
    expect(await asOf(t0 + 120)).toMatchObject({
      name: 'Gold',
      custom_attributes: { plan: 'gold' },
    });
    expect(await asOf(t0 + 160)).toMatchObject({
      name: 'Free',
      custom_attributes: { plan: 'free' },
    });
    expect(await asOf(t0 + 199)).toMatchObject({
      name: 'Free',
      custom_attributes: { plan: 'free' },
    });
    expect(await asOf(t0 + 200)).toMatchObject({
      name: 'Gold',
      custom_attributes: { plan: 'gold' },
    });

    // An item whose only effect was the repeat is taken once, as any other.
    const again = await service.request('/messenger/events', {
      method: 'POST',
      json: { events: [write('gold-again', t0 + 200, 'Gold', 'gold')] },
    });
    expect(await again.json()).toMatchObject({
      results: [{ status: 'duplicate', contact_id: id }],
    });

    // The repeat changed nothing anyone reads then: the timeline shows the writes that did.
    const timeline = (await read(`/contacts/${id}/timeline`)).body as {
      data: Array<{ event_type: string; occurred_at: number }>;
    };
    expect(
      timeline.data
        .filter((entry) => entry.event_type === 'ContactUpdated')
        .map((entry) => entry.occurred_at),
    ).toEqual([t0 + 100, t0 + 150]);

    // A late write of the value the contact holds now is history all the same: before it, the
    // contact had no name or plan; from it on, until the next write, it had these.
    const late = await ingest([write('gold-early', t0 + 50, 'Gold', 'gold')]);
    await service.request(`/contacts/${id}`, { headers: { 'X-Min-Position': late.position } });
    expect(await asOf(t0 + 40)).toMatchObject({ name: null, custom_attributes: {} });
    expect(await asOf(t0 + 60)).toMatchObject({
      name: 'Gold',
      custom_attributes: { plan: 'gold' },
    });
    expect(await asOf(t0 + 160)).toMatchObject({ name: 'Free' });
    expect((await read(`/contacts/${id}`)).body).toMatchObject({
      name: 'Gold',
      updated_at: t0 + 100,
    });
  });

  it('answers a lead from a conversation reported late that came before the visitor converted', async () => {
    const item = (id: string, at: number, type: string) => ({
      id: `as-of-late-talk-${id}`,
      type,
      occurred_at: at,
      visitor_id: 'vq',
    });
    const { id } = await ingest([
      item('seen', t0, 'visitor.seen'),
      item('talked', t0 + 500, 'conversation.started'),
    ]);
    await ingest([item('talked-before', t0 + 200, 'conversation.started')]);

    expect((await read(`/contacts/${id}?as_of=${t0 + 199}`)).status).toBe(404);
    for (const at of [t0 + 200, t0 + 300, t0 + 499, t0 + 500]) {
      expect((await read(`/contacts/${id}?as_of=${at}`)).body).toMatchObject({ id, role: 'lead' });
    }
    // It became a lead once, at the first conversation it had.
    const timeline = (await read(`/contacts/${id}/timeline`)).body as {
      data: Array<{ event_type: string; occurred_at: number }>;
    };
    expect(
      timeline.data
        .filter((entry) => entry.event_type === 'VisitorBecameLead')
        .map((entry) => entry.occurred_at),
    ).toEqual([t0 + 200]);
  });

  it('answers a lead from an email supplied late, before the visitor converted', async () => {
    const item = (id: string, at: number, fields: Record<string, unknown>) => ({
      id: `as-of-late-email-${id}`,
      occurred_at: at,
      visitor_id: 've',
      ...fields,
    });
    const { id } = await ingest([
      item('seen', t0, { type: 'visitor.seen' }),
      item('talked', t0 + 500, { type: 'conversation.started' }),
    ]);
    await ingest([
      item('email', t0 + 200, { type: 'email.supplied', email: 'late-email@example.com' }),
    ]);

    expect((await read(`/contacts/${id}?as_of=${t0 + 199}`)).status).toBe(404);
    for (const at of [t0 + 200, t0 + 499, t0 + 500]) {
      expect((await read(`/contacts/${id}?as_of=${at}`)).body).toMatchObject({
        id,
        role: 'lead',
        email: 'late-email@example.com',
      });
    }
    // It became a lead once, when it supplied its email.
    const timeline = (await read(`/contacts/${id}/timeline`)).body as {
      data: Array<{ event_type: string; occurred_at: number; summary: string }>;
    };
    expect(
      timeline.data
        .filter((entry) => entry.summary.startsWith('Became a lead'))
        .map((entry) => [entry.event_type, entry.occurred_at]),
    ).toEqual([['ContactUpdated', t0 + 200]]);
  });

  it('dates a conversion by a conversation or reply reported late, from before the contact was registered, at its registration: as of, timeline and funnel agree', async () => {
    // In a workspace of its own, so that the funnel counts these contacts alone.
    const token = GLOBEX_TOKEN;
    const at = t0 + 600;
    const stillVisitorAt = at + 10;
    const send = async (item: Record<string, unknown>) => {
      const answer = await service.request('/messenger/events', {
        method: 'POST',
        token,
        json: { events: [item] },
      });
      const { results } = (await answer.json()) as {
        results: Array<{ status: string; contact_id: string }>;
      };
      expect(results.map((result) => result.status)).toEqual(['accepted']);
      return { id: results[0]!.contact_id, position: answer.headers.get('x-position')! };
    };
    const asOf = async (id: string, instant: number) => {
      const answer = await service.request(`/contacts/${id}?as_of=${instant}`, {
        token,
        headers: { 'Intercom-Version': '2.16' },
      });
      return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
    };
    const timelineOf = async (id: string) => {
      const answer = await service.request(`/contacts/${id}/timeline`, { token });
      const { data } = (await answer.json()) as {
        data: Array<{ event_type: string; occurred_at: number }>;
      };
      return data.map((entry) => [entry.event_type, entry.occurred_at]);
    };

    // The probe's: a lead at `at` by a conversation; a reply from before it existed comes late.
    const { id: talked } = await send({
      id: 'pre-registration-talk',
      type: 'conversation.started',
      occurred_at: at,
      visitor_id: 'v-pre-registration-talk',
    });
    await send({
      id: 'pre-registration-talk-reply',
      type: 'outbound.replied',
      occurred_at: at - 500,
      visitor_id: 'v-pre-registration-talk',
    });
    // A visitor still when a reply from before it was seen first comes late.
    const { id: seen } = await send({
      id: 'pre-registration-seen',
      type: 'visitor.seen',
      occurred_at: stillVisitorAt,
      visitor_id: 'v-pre-registration-seen',
    });
    const { position } = await send({
      id: 'pre-registration-seen-reply',
      type: 'outbound.replied',
      occurred_at: stillVisitorAt - 500,
      visitor_id: 'v-pre-registration-seen',
    });

    expect(await timelineOf(talked)).toEqual([
      ['OutboundReplied', at - 500],
      ['VisitorRegistered', at],
      ['ConversationStarted', at],
      ['VisitorBecameLead', at],
    ]);
    expect(await timelineOf(seen)).toEqual([
      ['OutboundReplied', stillVisitorAt - 500],
      ['VisitorRegistered', stillVisitorAt],
      ['ContactSeen', stillVisitorAt],
      ['VisitorBecameLead', stillVisitorAt],
    ]);
    for (const [id, registeredAt] of [
      [talked, at],
      [seen, stillVisitorAt],
    ] as const) {
      for (const before of [registeredAt - 400, registeredAt - 1])
        expect((await asOf(id, before)).status).toBe(404);
      expect((await asOf(id, registeredAt)).body).toMatchObject({
        id,
        role: 'lead',
        created_at: registeredAt,
      });
    }

    const funnel = async (from: number, to: number) => {
      const answer = await service.request(`/analytics/lifecycle?from=${from}&to=${to}`, {
        token,
        headers: { 'X-Min-Position': position },
      });
      expect(answer.status).toBe(200);
      const { data } = (await answer.json()) as {
        data: Array<{ leads: number; visitors: number; conversions: object }>;
      };
      return data.map(({ leads, visitors, conversions }) => ({ leads, visitors, conversions }));
    };
    const none = { visitor_to_lead: 0, lead_to_user: 0 };
    // No lead before the contacts were registered, not even on the day of the late replies.
    expect(new Set((await funnel(at - 500, at)).map(({ leads }) => leads))).toEqual(new Set([0]));
    for (const registeredAt of [at, stillVisitorAt])
      expect(await funnel(registeredAt, registeredAt + 1)).toEqual([
        { leads: 1, visitors: 1, conversions: { ...none, visitor_to_lead: 1 } },
      ]);
  });

  it('dates the conversion by a conversation the API reports from before the visitor was registered at its registration', async () => {
    const at = t0 + 700;
    const { id } = await ingest([
      { id: 'as-of-api-pre-seen', type: 'visitor.seen', occurred_at: at, visitor_id: 'v-api-pre' },
    ]);
    const started = await service.request('/conversations', {
      method: 'POST',
      json: { from: { type: 'lead', id }, body: 'Hello', created_at: at - 500 },
    });
    expect(started.status).toBe(200);

    const timeline = (await read(`/contacts/${id}/timeline`)).body as {
      data: Array<{ event_type: string; occurred_at: number }>;
    };
    expect(timeline.data.map((entry) => [entry.event_type, entry.occurred_at])).toEqual([
      ['ConversationStarted', at - 500],
      ['VisitorRegistered', at],
      ['ContactSeen', at],
      ['VisitorBecameLead', at],
    ]);
    expect((await read(`/contacts/${id}?as_of=${at - 1}`)).status).toBe(404);
    expect((await read(`/contacts/${id}?as_of=${at}`)).body).toMatchObject({ id, role: 'lead' });
  });

  it('dates the conversion by an email supplied late, from before the visitor was registered, at its registration: as of and timeline agree', async () => {
    const at = t0 + 750;
    const { id } = await ingest([
      {
        id: 'as-of-email-pre-seen',
        type: 'visitor.seen',
        occurred_at: at,
        visitor_id: 'v-email-pre',
      },
    ]);
    await ingest([
      {
        id: 'as-of-email-pre-supplied',
        type: 'email.supplied',
        occurred_at: at - 500,
        visitor_id: 'v-email-pre',
        email: 'pre-registration@example.com',
      },
    ]);

    const timeline = (await read(`/contacts/${id}/timeline`)).body as {
      data: Array<{ event_type: string; occurred_at: number }>;
    };
    expect(timeline.data.map((entry) => [entry.event_type, entry.occurred_at])).toEqual([
      ['ContactUpdated', at - 500],
      ['VisitorRegistered', at],
      ['ContactSeen', at],
      ['ContactUpdated', at],
    ]);
    expect((await read(`/contacts/${id}?as_of=${at - 1}`)).status).toBe(404);
    expect((await read(`/contacts/${id}?as_of=${at}`)).body).toMatchObject({
      id,
      role: 'lead',
      email: 'pre-registration@example.com',
      created_at: at,
    });
  });

  it("keeps a merged lead's attribute write times: a late write older than them leaves the merged value be", async () => {
    const item = (id: string, at: number, fields: Record<string, unknown>) => ({
      id: `as-of-merge-times-${id}`,
      occurred_at: at,
      ...fields,
    });
    const answer = await service.request('/messenger/events', {
      method: 'POST',
      json: {
        events: [
          item('signup', t0, {
            type: 'contact.signed_up',
            visitor_id: 'vm-user',
            external_id: 'as-of-merge-times',
          }),
          item('talk', t0, { type: 'conversation.started', visitor_id: 'vm-lead' }),
          item('named', t0 + 100, {
            type: 'contact.attributes_updated',
            visitor_id: 'vm-lead',
            attributes: { name: 'Ann' },
          }),
          item('login', t0 + 400, {
            type: 'contact.logged_in',
            visitor_id: 'vm-lead',
            external_id: 'as-of-merge-times',
          }),
          item('late', t0 + 50, {
            type: 'contact.attributes_updated',
            visitor_id: 'vm-lead',
            attributes: { name: 'Old' },
          }),
        ],
      },
    });
    const { results } = (await answer.json()) as {
      results: Array<{ status: string; contact_id: string }>;
    };
    expect(results.map((result) => result.status)).toEqual(Array(5).fill('accepted'));
    const userId = results[0]!.contact_id;
    expect(results[4]!.contact_id).toBe(userId);
    const current = await service.request(`/contacts/${userId}?include_merge_history=true`, {
      headers: { 'Intercom-Version': '2.16', 'X-Min-Position': answer.headers.get('x-position')! },
    });
    expect(await current.json()).toMatchObject({
      name: 'Ann',
      merge_history: [expect.objectContaining({ merged_at: t0 + 400 })],
    });
    expect((await read(`/contacts/${userId}?as_of=${t0 + 450}`)).body).toMatchObject({
      name: 'Ann',
    });
  });

  it('refuses an as_of that is not a past instant in unix seconds, naming it', async () => {
    const user = (await (
      await service.request('/contacts', { method: 'POST', json: { external_id: 'as-of-bad' } })
    ).json()) as { id: string };
    for (const value of [String(now + 3_600), 'yesterday', '-1', '1.5']) {
      const answer = await read(`/contacts/${user.id}?as_of=${value}`);
      expect(answer).toMatchObject({
        status: 400,
        body: { errors: [{ code: 'parameter_invalid', field: 'as_of' }] },
      });
    }
    expect((await read(`/contacts/${user.id}?as_of=${now - 86_400}`)).status).toBe(404);
  });
});

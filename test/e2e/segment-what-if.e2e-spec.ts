import { describeOnReadStores } from '../support/read-store-targets';
import { startTestApp, startTestAppOnPostgres, type TestApp } from '../support/test-app';

const DAY = 86_400;

interface Preview {
  type: string;
  data: Array<{ id: string; role: string; name: string | null }>;
  total_count: number;
  pages: { page: number; total_pages: number; next?: { page: number; starting_after: string } };
}
interface Changes {
  type: string;
  data: Array<{
    type: string;
    contact_id: string;
    change: string;
    effective_at: number;
    cause: { type: string; event_id?: string; event_type?: string; deadline?: number };
  }>;
  total_count: number;
  pages: { page: number; total_pages: number; next?: { page: number; starting_after: string } };
}
interface Problems {
  errors: Array<{ code: string; field?: string; message: string }>;
}

/**
 * segments.md: "What would this rule have selected at T / over [T1, T2]?" before saving it. Each
 * contact is taken as `GET /contacts/{id}?as_of=T` shows it, and the rule is evaluated at T.
 */
describeOnReadStores('segment preview over history: as_of and (from, to] (e2e)', (dialect) => {
  let service: TestApp;
  beforeAll(async () => {
    service = dialect === 'postgres' ? await startTestAppOnPostgres() : await startTestApp();
  });
  afterAll(() => service.close());

  const now = Math.floor(Date.now() / 1000);
  const t0 = now - 3 * DAY;
  /** Each test's own names and keys, so tests share the workspace without seeing each other. */
  let run = 0;
  let position = '0';

  /** Messenger items, all accepted; the contact of each item in order. */
  async function ingest(events: Array<Record<string, unknown>>): Promise<string[]> {
    const answer = await service.request('/messenger/events', { method: 'POST', json: { events } });
    const { results } = (await answer.json()) as {
      results: Array<{ status: string; contact_id: string }>;
    };
    expect(results.map((result) => result.status)).toEqual(events.map(() => 'accepted'));
    position = answer.headers.get('x-position') ?? position;
    return results.map((result) => result.contact_id);
  }

  /** A lead from a visitor's conversation at `at`, named `name` then. */
  async function lead(key: string, at: number, name: string): Promise<string> {
    const visitor = `preview-as-of-${run}-${key}`;
    const [id] = await ingest([
      {
        id: `${visitor}-talked`,
        type: 'conversation.started',
        occurred_at: at,
        visitor_id: visitor,
      },
      {
        id: `${visitor}-named`,
        type: 'contact.attributes_updated',
        occurred_at: at,
        visitor_id: visitor,
        attributes: { name },
      },
    ]);
    return id!;
  }

  async function rename(key: string, at: number, name: string): Promise<void> {
    const visitor = `preview-as-of-${run}-${key}`;
    await ingest([
      {
        id: `${visitor}-renamed-${at}`,
        type: 'contact.attributes_updated',
        occurred_at: at,
        visitor_id: visitor,
        attributes: { name },
      },
    ]);
  }

  /**
   * Two leads named `Pro` in turn: the first from 100 to 300 seconds after t0, the second from
   * 200 on; and the rule selecting that name.
   */
  async function crossingLeads() {
    const pro = `Pro ${run}`;
    const first = await lead('first', t0 + 100, pro);
    await rename('first', t0 + 300, `Free ${run}`);
    const second = await lead('second', t0 + 100, `Free ${run}`);
    await rename('second', t0 + 200, pro);
    return { pro, first, second, rule: { field: 'name', operator: '=', value: pro } };
  }

  /** A lead seen at `at`, and the rule "that lead, seen less than a day ago". */
  async function seenLead(key: string, at: number) {
    const name = `Seen ${key} ${run}`;
    const id = await lead(key, at, name);
    await ingest([
      {
        id: `preview-as-of-${run}-${key}-sighting`,
        type: 'visitor.seen',
        occurred_at: at,
        visitor_id: `preview-as-of-${run}-${key}`,
        context: { browser: 'firefox' },
      },
    ]);
    const rule = {
      operator: 'AND',
      value: [
        { field: 'name', operator: '=', value: name },
        { field: 'last_seen_at', operator: 'less_than_days_ago', value: 1 },
      ],
    };
    return { id, name, rule };
  }

  /** A preview's answer, read after every write so far, with the status expected. */
  async function previewAt(path: string, body: Record<string, unknown>, status: number) {
    const answer = await service.request(path, {
      method: 'POST',
      json: body,
      headers: { 'X-Min-Position': position },
    });
    const parsed: unknown = await answer.json();
    expect({ status: answer.status, body: parsed }).toMatchObject({ status });
    return parsed;
  }
  const preview = (body: Record<string, unknown>, status = 200) =>
    previewAt('/segments/preview', body, status);
  const changesOver = (body: Record<string, unknown>, status = 200) =>
    previewAt('/segments/preview/history', body, status);
  const membersAt = async (rule: unknown, asOf?: number, personType = 'contact') => {
    const body = (await preview({
      person_type: personType,
      rule,
      ...(asOf !== undefined ? { as_of: asOf } : {}),
    })) as Preview;
    expect(body.type).toBe('segment.preview');
    expect(body.total_count).toBe(body.data.length);
    return body.data.map((contact) => contact.id);
  };

  beforeEach(() => {
    run += 1;
  });

  it('selects the contacts whose values then matched the rule, each as it was then', async () => {
    const { pro, first, second, rule } = await crossingLeads();

    expect(await membersAt(rule, t0 + 50)).toEqual([]);
    expect(await membersAt(rule, t0 + 150)).toEqual([first]);
    expect(new Set(await membersAt(rule, t0 + 250))).toEqual(new Set([first, second]));
    expect(await membersAt(rule, t0 + 350)).toEqual([second]);
    // At the present instant, the same as the preview of now.
    expect(await membersAt(rule, Math.floor(Date.now() / 1000))).toEqual(await membersAt(rule));

    const shown = (await preview({ person_type: 'contact', rule, as_of: t0 + 150 })) as Preview;
    expect(shown.data).toEqual([expect.objectContaining({ id: first, role: 'lead', name: pro })]);
  });

  it('evaluates relative dates at that instant, not now', async () => {
    const seenAt = t0;
    const { id, rule } = await seenLead('seen', seenAt);
    expect(await membersAt(rule, seenAt + 3_600)).toEqual([id]);
    expect(await membersAt(rule, seenAt + DAY + 1)).toEqual([]);
    expect(await membersAt(rule)).toEqual([]);
  });

  it('counts the data events dated by then, those of a lead merged in by then included', async () => {
    const name = `Tracker ${run}`;
    const eventName = `signed-contract-${run}`;
    const tracker = await lead('tracker', t0, name);
    const tracked = await service.request('/events', {
      method: 'POST',
      json: { event_name: eventName, created_at: t0 + 500, id: tracker },
    });
    expect(tracked.status).toBe(202);
    position = tracked.headers.get('x-position') ?? position;
    const rule = {
      operator: 'AND',
      value: [
        { field: 'name', operator: '=', value: name },
        { field: 'event', operator: 'has_done', value: eventName },
      ],
    };
    expect(await membersAt(rule, t0 + 499, 'all')).toEqual([]);
    expect(await membersAt(rule, t0 + 500, 'all')).toEqual([tracker]);

    // Merged now into a user who took its name: the user has done it from the merge on.
    const user = (await (
      await service.request('/contacts', {
        method: 'POST',
        json: { role: 'user', external_id: `preview-as-of-user-${run}`, name },
      })
    ).json()) as { id: string };
    const merged = await service.request('/contacts/merge', {
      method: 'POST',
      json: { from: tracker, into: user.id },
    });
    expect(merged.status).toBe(200);
    position = merged.headers.get('x-position') ?? position;
    const afterMerge = Math.floor(Date.now() / 1000);
    // Before the merge the lead was the one; now the user is (its own fold knows the merge).
    expect(await membersAt(rule, t0 + 500, 'all')).toEqual([tracker]);
    expect(await membersAt(rule, afterMerge, 'all')).toEqual([user.id]);
    expect(await membersAt(rule, afterMerge, 'contact')).toEqual([]);
  });

  it('leaves out a contact deleted since, whose past is readable no more', async () => {
    const name = `Deleted ${run}`;
    const id = await lead('deleted', t0 + 100, name);
    const rule = { field: 'name', operator: '=', value: name };
    expect(await membersAt(rule, t0 + 200)).toEqual([id]);
    const deleted = await service.request(`/contacts/${id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    position = deleted.headers.get('x-position') ?? position;
    expect(await membersAt(rule, t0 + 200)).toEqual([]);
  });

  it('pages by cursor, and refuses the cursor of another instant', async () => {
    const name = `Paged ${run}`;
    const ids = [
      await lead('paged-a', t0 + 100, name),
      await lead('paged-b', t0 + 110, name),
      await lead('paged-c', t0 + 120, name),
    ];
    const rule = { field: 'name', operator: '=', value: name };
    const request = { person_type: 'contact', rule, as_of: t0 + 200 };
    const first = (await preview({ ...request, pagination: { per_page: 2 } })) as Preview;
    // Newest first, search's default order, as the preview of now answers.
    const newestFirst = [...ids].reverse();
    expect(first.data.map((contact) => contact.id)).toEqual(newestFirst.slice(0, 2));
    const { data: now } = (await preview({ person_type: 'contact', rule })) as Preview;
    expect(now.map((contact) => contact.id)).toEqual(newestFirst);
    expect(first).toMatchObject({ total_count: 3, pages: { page: 1, total_pages: 2 } });
    const cursor = first.pages.next!.starting_after;
    const second = (await preview({
      ...request,
      pagination: { per_page: 2, starting_after: cursor },
    })) as Preview;
    expect(second.data.map((contact) => contact.id)).toEqual(newestFirst.slice(2));
    expect(second).toMatchObject({ total_count: 3, pages: { page: 2, total_pages: 2 } });
    expect(second.pages.next).toBeUndefined();

    for (const other of [
      { ...request, as_of: t0 + 201 },
      { person_type: 'contact', rule },
    ]) {
      const refused = (await preview(
        { ...other, pagination: { per_page: 2, starting_after: cursor } },
        400,
      )) as Problems;
      expect(refused.errors).toEqual([
        expect.objectContaining({ code: 'parameter_invalid', field: 'pagination.starting_after' }),
      ]);
    }
  });

  it('refuses an as_of that is no past instant in whole unix seconds, naming it', async () => {
    const rule = { field: 'name', operator: '=', value: 'anyone' };
    for (const asOf of ['1700000000', -1, 1.5, true, null, now + 3_600]) {
      const refused = (await preview({ rule, as_of: asOf }, 400)) as Problems;
      expect(refused.errors).toEqual([
        {
          code: 'parameter_invalid',
          field: 'as_of',
          message: 'as_of must be an instant in unix seconds, not in the future',
        },
      ]);
    }
  });

  it('lists the entries and exits the rule would have made over a stretch, with their causes', async () => {
    const { first, second, rule } = await crossingLeads();

    const history = (await changesOver({
      person_type: 'contact',
      rule,
      from: t0,
      to: t0 + 1_000,
    })) as Changes;
    expect(history.type).toBe('segment.preview_history');
    expect(
      history.data.map(({ contact_id, change, effective_at, cause }) => [
        contact_id,
        change,
        effective_at,
        cause.type,
        cause.event_type,
      ]),
    ).toEqual([
      [first, 'entered', t0 + 100, 'event', 'ContactUpdated'],
      [second, 'entered', t0 + 200, 'event', 'ContactUpdated'],
      [first, 'exited', t0 + 300, 'event', 'ContactUpdated'],
    ]);
    expect(history.total_count).toBe(3);
    // Each change agrees with the members a preview as of its instant lists.
    expect(await membersAt(rule, t0 + 200)).toHaveLength(2);
    expect(await membersAt(rule, t0 + 300)).toEqual([second]);

    // Paged by cursor, which continues only the same stretch.
    const request = { person_type: 'contact', rule, from: t0, to: t0 + 1_000 };
    const page = (await changesOver({ ...request, pagination: { per_page: 2 } })) as Changes;
    expect(page.data).toEqual(history.data.slice(0, 2));
    const cursor = page.pages.next!.starting_after;
    const rest = (await changesOver({
      ...request,
      pagination: { per_page: 2, starting_after: cursor },
    })) as Changes;
    expect(rest.data).toEqual(history.data.slice(2));
    expect(rest.pages).toMatchObject({ page: 2, total_pages: 2 });
    const elsewhere = (await changesOver(
      { ...request, to: t0 + 999, pagination: { starting_after: cursor } },
      400,
    )) as Problems;
    expect(elsewhere.errors).toEqual([
      expect.objectContaining({ field: 'pagination.starting_after' }),
    ]);
  });

  it('exits at the deadline of a relative rule, and enters when a data event is dated', async () => {
    const { id, name, rule: seenRecently } = await seenLead('timed', t0);
    const seen = (await changesOver({
      person_type: 'contact',
      rule: seenRecently,
      from: t0 - 1,
      to: now,
    })) as Changes;
    expect(seen.data).toEqual([
      expect.objectContaining({ contact_id: id, change: 'entered', effective_at: t0 }),
      {
        type: 'segment.membership_change',
        contact_id: id,
        change: 'exited',
        effective_at: t0 + DAY,
        cause: { type: 'deadline', deadline: t0 + DAY },
      },
    ]);

    const eventName = `renewed-${run}`;
    const tracked = await service.request('/events', {
      method: 'POST',
      json: { event_name: eventName, created_at: t0 + 2 * DAY, id },
    });
    expect(tracked.status).toBe(202);
    position = tracked.headers.get('x-position') ?? position;
    const renewed = (await changesOver({
      person_type: 'contact',
      rule: {
        operator: 'AND',
        value: [
          { field: 'name', operator: '=', value: name },
          { field: 'event', operator: 'has_done', value: eventName },
        ],
      },
      from: t0,
      to: now,
    })) as Changes;
    expect(renewed.data).toEqual([
      expect.objectContaining({
        contact_id: id,
        change: 'entered',
        effective_at: t0 + 2 * DAY,
        cause: expect.objectContaining({ type: 'event', event_type: 'DataEventTracked' }),
      }),
    ]);
  });

  /**
   * A data event sent dated a little ahead (`POST /events`' `created_at`, a summary's `last`) is
   * recorded now: the saved membership counts it from then, so must the what-if.
   */
  it.each([
    ['POST /events', 'DataEventTracked'],
    ['POST /events/summaries', 'DataEventSummaryReported'],
  ])(
    'counts a data event sent dated ahead (%s) from the moment it was recorded, as the saved segment does',
    async (route, eventType) => {
      const name = `Ahead ${run}`;
      const eventName = `ahead-${run}`;
      const externalId = `preview-ahead-${run}`;
      const user = (await (
        await service.request('/contacts', {
          method: 'POST',
          json: { role: 'user', external_id: externalId, name },
        })
      ).json()) as { id: string };
      const rule = {
        operator: 'AND',
        value: [
          { field: 'name', operator: '=', value: name },
          { field: 'event', operator: 'has_done', value: eventName },
        ],
      };
      const segment = await service.request('/segments', {
        method: 'POST',
        json: { name: `ahead ${run}`, person_type: 'user', rule },
      });
      expect(segment.status).toBeLessThan(300);
      const { id: segmentId } = (await segment.json()) as { id: string };

      const ahead = Math.floor(Date.now() / 1000) + 120;
      const sent =
        route === 'POST /events'
          ? await service.request('/events', {
              method: 'POST',
              json: { event_name: eventName, created_at: ahead, id: user.id },
            })
          : await service.request('/events/summaries', {
              method: 'POST',
              json: {
                user_id: externalId,
                event_summaries: {
                  event_name: eventName,
                  count: 1,
                  first: ahead - 20,
                  last: ahead,
                },
              },
            });
      expect(sent.status).toBeLessThan(300);
      position = sent.headers.get('x-position') ?? position;

      const read = async <T>(path: string): Promise<T> => {
        const answer = await service.request(path, { headers: { 'X-Min-Position': position } });
        expect(answer.status).toBe(200);
        return (await answer.json()) as T;
      };
      const saved = await read<Changes>(`/segments/${segmentId}/history`);
      expect(saved.data).toEqual([
        expect.objectContaining({
          contact_id: user.id,
          change: 'entered',
          cause: expect.objectContaining({ event_type: eventType }),
        }),
      ]);
      const recordedAt = saved.data[0]!.effective_at;
      expect(recordedAt).toBeLessThan(ahead);

      const savedThen = await read<Preview>(`/segments/${segmentId}/contacts?as_of=${recordedAt}`);
      expect(savedThen.data.map((contact) => contact.id)).toEqual([user.id]);
      expect(await membersAt(rule, recordedAt, 'user')).toEqual([user.id]);

      const previewed = (await changesOver({
        person_type: 'user',
        rule,
        from: recordedAt - 1,
        to: recordedAt,
      })) as Changes;
      expect(previewed.data).toEqual([
        expect.objectContaining({
          contact_id: user.id,
          change: 'entered',
          effective_at: recordedAt,
          cause: expect.objectContaining({ event_type: eventType }),
        }),
      ]);
      if (route === 'POST /events') {
        // Its created_at stays as sent.
        const listed = await read<{ events: Array<{ event_name: string; created_at: number }> }>(
          `/events?type=user&intercom_user_id=${user.id}`,
        );
        expect(listed.events).toEqual([
          expect.objectContaining({ event_name: eventName, created_at: ahead }),
        ]);
      }
    },
  );

  it('refuses a stretch that is no past one in whole unix seconds, naming its end', async () => {
    const rule = { field: 'name', operator: '=', value: 'anyone' };
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ to: now }, 'from', 'parameter_not_found'],
      [{ from: t0 }, 'to', 'parameter_not_found'],
      [{ from: 'yesterday', to: now }, 'from', 'parameter_invalid'],
      [{ from: t0, to: now + 3_600 }, 'to', 'parameter_invalid'],
      [{ from: t0, to: t0 }, 'to', 'parameter_invalid'],
      [{ from: t0 + 10, to: t0 }, 'to', 'parameter_invalid'],
    ];
    for (const [stretch, field, code] of cases) {
      const refused = (await changesOver({ rule, ...stretch }, 400)) as Problems;
      expect(refused.errors).toEqual([expect.objectContaining({ code, field })]);
    }
    const noRule = (await changesOver({ from: t0, to: now }, 400)) as Problems;
    expect(noRule.errors).toEqual([
      expect.objectContaining({ code: 'parameter_not_found', field: 'rule' }),
    ]);
  });
});

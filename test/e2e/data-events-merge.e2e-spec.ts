import { describeOnReadStores } from '../support/read-store-targets';
import { startTestApp, startTestAppOnPostgres, type TestApp } from '../support/test-app';

interface ListedEvent {
  readonly event_name: string;
  readonly created_at: number;
  readonly metadata: Record<string, unknown>;
}

/**
 * A lead and a user may each track an event of the same name at the same second: two events,
 * each accepted on its own contact. Once the lead is merged into the user, both count for the
 * user (domain.md, Merge). Only a retry, the same event sent again, is one event: the dedupe key
 * (contact + name + created_at) is for that. The data events read model used to drop the lead's
 * event at the merge, as if it were a retry of the user's.
 */
describeOnReadStores('data events of a lead merged into a user', (dialect) => {
  let app: TestApp;
  beforeAll(async () => {
    app = dialect === 'postgres' ? await startTestAppOnPostgres() : await startTestApp();
  });
  afterAll(() => app.close());

  let sequence = 0;
  const unique = (label: string) => `${label}-${dialect}-${(sequence += 1)}-${Date.now()}`;
  const trackedAt = Math.floor(Date.now() / 1000) - 60;

  /**
   * The log position of the last write, sent back as `X-Min-Position` on every read: a merge and a
   * messenger batch answer before the data events read model reflects them (README).
   */
  let written = '0';
  const json = async <T>(response: Response, status = 200): Promise<T> => {
    written = response.headers.get('x-position') ?? written;
    const text = await response.text();
    // POST /events answers 202 without a body.
    const body = (text === '' ? undefined : JSON.parse(text)) as T;
    expect({ status: response.status, body }).toMatchObject({ status });
    return body;
  };
  const create = async (body: Record<string, unknown>) =>
    json<{ id: string }>(await app.request('/contacts', { method: 'POST', json: body }));
  const track = async (id: string, device: string) =>
    json(
      await app.request('/events', {
        method: 'POST',
        json: { id, event_name: 'signed-in', created_at: trackedAt, metadata: { device } },
      }),
      202,
    );
  const read = (path: string) => app.request(path, { headers: { 'x-min-position': written } });
  const merge = async (from: string, into: string) =>
    json(await app.request('/contacts/merge', { method: 'POST', json: { from, into } }));
  const ingest = async (events: unknown[]) =>
    (
      await json<{ results: Array<{ status: string; contact_id?: string }> }>(
        await app.request('/messenger/events', { method: 'POST', json: { events } }),
      )
    ).results;
  const listed = async (id: string) =>
    (
      await json<{ events: ListedEvent[] }>(await read(`/events?type=user&intercom_user_id=${id}`))
    ).events.map(({ event_name, created_at, metadata }) => ({ event_name, created_at, metadata }));
  const counted = async (id: string) =>
    (
      await json<{ events: Array<{ name: string; count: number }> }>(
        await read(`/events?type=user&intercom_user_id=${id}&summary=true`),
      )
    ).events.map(({ name, count }) => ({ name, count }));
  const devices = (events: readonly ListedEvent[]) =>
    events.map((event) => event.metadata.device).sort();

  /** A user and a lead of the same email, each having tracked `signed-in` at `trackedAt`. */
  const userAndLeadEachTracked = async () => {
    const email = `${unique('both')}@merge.test`;
    const user = await create({ email });
    const lead = await create({ role: 'lead', email });
    await track(user.id, 'desktop');
    await track(lead.id, 'phone');
    return { user, lead };
  };

  it("lists and counts for the user both its own event and the lead's of the same name and second", async () => {
    const { user, lead } = await userAndLeadEachTracked();
    await merge(lead.id, user.id);

    const events = await listed(user.id);
    expect(events).toHaveLength(2);
    expect(events.every((e) => e.event_name === 'signed-in' && e.created_at === trackedAt)).toBe(
      true,
    );
    expect(devices(events)).toEqual(['desktop', 'phone']);
    // The same order every time, page after page.
    expect(await listed(user.id)).toEqual(events);
    const first = await json<{ events: ListedEvent[]; pages: { next?: string } }>(
      await read(`/events?type=user&intercom_user_id=${user.id}&per_page=1`),
    );
    // `pages.next` is the next page's URL (Intercom's).
    const next = new URL(first.pages.next!);
    const second = await json<{ events: ListedEvent[] }>(
      await read(`${next.pathname}${next.search}`),
    );
    expect([...first.events, ...second.events].map((e) => e.metadata)).toEqual(
      events.map((e) => e.metadata),
    );
    expect(await counted(user.id)).toEqual([{ name: 'signed-in', count: 2 }]);
  });

  it('still takes a retry after the merge as the event it repeats, addressed to the lead or to the user', async () => {
    const { user, lead } = await userAndLeadEachTracked();
    await merge(lead.id, user.id);

    await track(lead.id, 'retried on the lead');
    await track(user.id, 'retried on the user');

    expect(devices(await listed(user.id))).toEqual(['desktop', 'phone']);
    expect(await counted(user.id)).toEqual([{ name: 'signed-in', count: 2 }]);
  });

  it("counts a messenger visitor's event for the user it logs in as, beside the user's own", async () => {
    const externalId = unique('ext');
    const user = await create({ external_id: externalId });
    await track(user.id, 'desktop');
    const visitorId = unique('visitor');
    const [tracked] = await ingest([
      {
        id: unique('tracked'),
        type: 'event.tracked',
        occurred_at: trackedAt,
        visitor_id: visitorId,
        event_name: 'signed-in',
        metadata: { device: 'phone' },
      },
    ]);
    expect(tracked).toMatchObject({ status: 'accepted' });
    const [loggedIn] = await ingest([
      {
        id: unique('login'),
        type: 'contact.logged_in',
        occurred_at: trackedAt + 10,
        visitor_id: visitorId,
        external_id: externalId,
      },
    ]);
    expect(loggedIn).toMatchObject({ status: 'accepted', contact_id: user.id });

    expect(devices(await listed(user.id))).toEqual(['desktop', 'phone']);
    expect(await counted(user.id)).toEqual([{ name: 'signed-in', count: 2 }]);
  });
});

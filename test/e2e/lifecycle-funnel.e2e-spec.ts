import { randomUUID } from 'node:crypto';
import { dayContaining } from '../../src/contacts/search/time-zone-days';
import { GLOBEX_TOKEN, startTestApp, type TestApp } from '../support/test-app';

interface Funnel {
  readonly type: string;
  readonly interval: string;
  readonly time_zone: string;
  readonly from: number;
  readonly to: number;
  readonly data: ReadonlyArray<{
    readonly type: string;
    readonly start: number;
    readonly end: number;
    readonly visitors: number;
    readonly leads: number;
    readonly users: number;
    readonly conversions: { readonly visitor_to_lead: number; readonly lead_to_user: number };
  }>;
}

const DAY = 86_400;

/** `GET /analytics/lifecycle`, the lifecycle funnel of the caller's workspace. */
describe('GET /analytics/lifecycle', () => {
  let service: TestApp;
  const now = Math.floor(Date.now() / 1000);
  /** Midnight UTC two days ago: the funnel's first day. */
  const first = dayContaining(now - 2 * DAY, 'UTC').start;

  beforeAll(async () => {
    service = await startTestApp({ WORKSPACE_TIME_ZONES: 'acme:Europe/Paris' });
  });
  afterAll(() => service.close());

  const funnelOf = (query: string, token?: string) =>
    service.request(`/analytics/lifecycle?${query}`, token ? { token } : {});

  const ingest = async (items: object[], token = GLOBEX_TOKEN): Promise<void> => {
    const response = await service.request('/messenger/events', {
      method: 'POST',
      token,
      json: { events: items.map((item) => ({ id: randomUUID(), ...item })) },
    });
    expect(response.status).toBe(200);
  };

  it('counts, per day, the visitors, leads and users that came, and the conversions, by event time', async () => {
    await ingest([
      { type: 'visitor.seen', occurred_at: first + 100, visitor_id: 'funnel-v1' },
      { type: 'visitor.seen', occurred_at: first + 200, visitor_id: 'funnel-v2' },
      {
        type: 'conversation.started',
        occurred_at: first + DAY + 300,
        visitor_id: 'funnel-v1',
        conversation_id: 'funnel-c1',
      },
    ]);
    await ingest([
      {
        type: 'contact.signed_up',
        occurred_at: first + DAY + 400,
        visitor_id: 'funnel-v1',
        external_id: 'funnel-u1',
      },
    ]);
    const created = await service.request('/contacts', {
      method: 'POST',
      token: GLOBEX_TOKEN,
      json: { external_id: 'funnel-u2' },
    });
    expect(created.status).toBe(200);
    // Past the user just created, dated by the service's clock.
    const until = Math.floor(Date.now() / 1000) + 1;

    const response = await service.request(
      `/analytics/lifecycle?from=${first}&to=${until}&interval=day`,
      { token: GLOBEX_TOKEN, headers: { 'X-Min-Position': created.headers.get('x-position')! } },
    );
    expect(response.status).toBe(200);
    const funnel = (await response.json()) as Funnel;
    expect(funnel).toMatchObject({
      type: 'lifecycle.funnel',
      interval: 'day',
      time_zone: 'UTC',
      from: first,
      to: until,
    });
    // Whole UTC days from the first on, the last cut at `until` (a third day, or a fourth when
    // the test ran across midnight: the user made now is in the last).
    const days = Math.ceil((until - first) / DAY);
    expect(funnel.data.map(({ start, end }) => [start, end])).toEqual(
      Array.from({ length: days }, (_, day) => [
        first + day * DAY,
        Math.min(first + (day + 1) * DAY, until),
      ]),
    );
    const counts = funnel.data.map(({ start: _s, end: _e, ...rest }) => rest);
    const quiet = {
      type: 'lifecycle.interval',
      visitors: 0,
      leads: 0,
      users: 0,
      conversions: { visitor_to_lead: 0, lead_to_user: 0 },
    };
    expect(counts).toEqual([
      { ...quiet, visitors: 2 },
      { ...quiet, leads: 1, users: 1, conversions: { visitor_to_lead: 1, lead_to_user: 1 } },
      ...Array.from({ length: days - 3 }, () => quiet),
      { ...quiet, users: 1 },
    ]);
    // Another workspace's funnel counts none of it.
    const acme = (await (await funnelOf(`from=${first}&to=${until}`)).json()) as Funnel;
    expect(acme.data.every((day) => day.visitors + day.leads + day.users === 0)).toBe(true);
  });

  it('counts no lead for a visitor that a sign-up reported late made a user before its conversation', async () => {
    // A day of its own, before the other tests' days: seen, talked, and signed up before it talked.
    const day = first - 5 * DAY;
    await ingest([
      { type: 'visitor.seen', occurred_at: day + 100, visitor_id: 'funnel-late-user' },
      {
        type: 'conversation.started',
        occurred_at: day + 300,
        visitor_id: 'funnel-late-user',
        conversation_id: 'funnel-late-user-c',
      },
    ]);
    const late = await service.request('/messenger/events', {
      method: 'POST',
      token: GLOBEX_TOKEN,
      json: {
        events: [
          {
            id: randomUUID(),
            type: 'contact.signed_up',
            occurred_at: day + 200,
            visitor_id: 'funnel-late-user',
            external_id: 'funnel-late-user',
          },
        ],
      },
    });
    expect(late.status).toBe(200);

    const response = await service.request(`/analytics/lifecycle?from=${day}&to=${day + DAY}`, {
      token: GLOBEX_TOKEN,
      headers: { 'X-Min-Position': late.headers.get('x-position')! },
    });
    const funnel = (await response.json()) as Funnel;
    // As as_of tells it: a visitor, then a user from its sign-up on; never a lead.
    expect(funnel.data.map(({ start: _s, end: _e, ...counts }) => counts)).toEqual([
      {
        type: 'lifecycle.interval',
        visitors: 1,
        leads: 0,
        users: 1,
        conversions: { visitor_to_lead: 0, lead_to_user: 0 },
      },
    ]);
  });

  it("cuts days and weeks in the workspace's time zone", async () => {
    const response = await funnelOf(`from=${first}&to=${first + 20 * DAY}&interval=week`);
    expect(response.status).toBe(200);
    const funnel = (await response.json()) as Funnel;
    expect(funnel).toMatchObject({ time_zone: 'Europe/Paris', interval: 'week' });
    expect(funnel.data[0]!.start).toBe(first);
    expect(funnel.data.length).toBeGreaterThanOrEqual(3);
    const days = (await (await funnelOf(`from=${first}&to=${first + DAY}`)).json()) as Funnel;
    // Midnight UTC is 01:00 or 02:00 in Paris: the UTC day spans two of Paris's.
    expect(days.data.map(({ start, end }) => [start, end])).toEqual([
      [first, dayContaining(first, 'Europe/Paris').end],
      [dayContaining(first, 'Europe/Paris').end, first + DAY],
    ]);
  });

  it.each([
    ['to=10', 'parameter_not_found', 'from'],
    ['from=10', 'parameter_not_found', 'to'],
    ['from=ten&to=20', 'parameter_invalid', 'from'],
    ['from=10&to=-20', 'parameter_invalid', 'to'],
    ['from=10&from=11&to=20', 'parameter_invalid', 'from'],
    ['from=20&to=20', 'parameter_invalid', 'to'],
    ['from=10&to=20&interval=month', 'parameter_invalid', 'interval'],
    [`from=0&to=${367 * DAY}&interval=day`, 'parameter_invalid', 'to'],
    [`from=0&to=${400 * 7 * DAY}&interval=week`, 'parameter_invalid', 'to'],
    ['from=10&to=20&per_page=5', 'parameter_invalid', 'per_page'],
  ])('refuses %s with a 400 %s naming %s', async (query, code, field) => {
    const response = await funnelOf(query);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      type: 'error.list',
      request_id: expect.any(String),
      errors: [{ code, field }],
    });
  });

  it('takes a year of days and needs a token', async () => {
    expect((await funnelOf(`from=0&to=${366 * DAY}`, GLOBEX_TOKEN)).status).toBe(200);
    const anonymous = await fetch(`${service.baseUrl}/analytics/lifecycle?from=0&to=10`);
    expect(anonymous.status).toBe(401);
  });
});

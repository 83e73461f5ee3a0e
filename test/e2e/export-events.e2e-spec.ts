import {
  GLOBEX_TOKEN,
  startTestApp,
  startTestAppOnStandIn,
  type TestApp,
} from '../support/test-app';

interface Line {
  position: string;
  id: string;
  stream_id: string;
  contact_id: string | null;
  revision: number;
  type: string;
  occurred_at: number;
  recorded_at: number;
  data: Record<string, unknown>;
  metadata: { workspaceId: string; occurredAt: number };
}

const exportOf = async (service: TestApp, query = '', token?: string) => {
  const response = await service.request(`/export/events${query}`, token ? { token } : {});
  const text = await response.text();
  return {
    response,
    text,
    lines:
      response.status === 200
        ? text
            .split('\n')
            .filter((line) => line !== '')
            .map((line) => JSON.parse(line) as Line)
        : [],
  };
};

const created = async (service: TestApp, json: unknown, token?: string) => {
  const response = await service.request('/contacts', {
    method: 'POST',
    json,
    ...(token ? { token } : {}),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { id: string }).id;
};

/** history.md: `GET /export/events`, a workspace's events as NDJSON for analysts. */
describe('GET /export/events', () => {
  let service: TestApp;
  let user: string;
  let deleted: string;
  let globexContact: string;
  const long = 1_600_000_000;
  beforeAll(async () => {
    service = await startTestApp();
    user = await created(service, { email: 'export@example.com', external_id: 'export-1' });
    deleted = await created(service, { role: 'lead', email: 'gone@example.com' });
    expect((await service.request(`/contacts/${deleted}`, { method: 'DELETE' })).status).toBe(200);
    globexContact = await created(service, { external_id: 'globex-1' }, GLOBEX_TOKEN);
    const tracked = await service.request('/events', {
      method: 'POST',
      json: { event_name: 'exported', created_at: long + 500, user_id: 'export-1' },
    });
    expect(tracked.status).toBe(202);
    const segment = await service.request('/segments', {
      method: 'POST',
      json: {
        name: 'Exported',
        rule: { field: 'email', operator: '=', value: 'export@example.com' },
      },
    });
    expect(segment.status).toBe(200);
    // More events than the export reads from the store at once, at event times long past.
    for (const batch of [0, 1]) {
      const ingested = await service.request('/messenger/events', {
        method: 'POST',
        json: {
          events: Array.from({ length: 300 }, (_, n) => ({
            id: `export-seen-${batch}-${n}`,
            type: 'visitor.seen',
            occurred_at: long + batch * 100,
            visitor_id: `export-visitor-${batch}-${n}`,
          })),
        },
      });
      expect(ingested.status).toBe(200);
    }
  });
  afterAll(() => service.close());

  it("streams the workspace's events as NDJSON in log order, each with its position, stream, contact, revision, times, data and metadata", async () => {
    const { response, lines, text } = await exportOf(service);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(response.headers.get('content-length')).toBeNull();
    // The log's head when asked: at or past the last event exported, the next export's start.
    expect(BigInt(response.headers.get('x-position')!)).toBeGreaterThanOrEqual(
      BigInt(lines[lines.length - 1]!.position),
    );
    expect(text.endsWith('\n')).toBe(true);
    const positions = lines.map((line) => BigInt(line.position));
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(lines.map((line) => line.metadata.workspaceId))).toEqual(new Set(['acme']));
    const userCreated = lines.find(
      (line) => line.type === 'UserCreated' && line.contact_id === user,
    );
    expect(userCreated).toMatchObject({
      stream_id: `contact-acme.${user}`,
      revision: 0,
      data: expect.objectContaining({
        attributes: expect.objectContaining({ email: 'export@example.com' }) as unknown,
      }) as unknown,
    });
    expect(userCreated!.occurred_at).toBe(Math.floor(userCreated!.metadata.occurredAt / 1000));
    expect(typeof userCreated!.recorded_at).toBe('number');
    const tracked = lines.find((line) => line.type === 'DataEventTracked');
    expect(tracked).toMatchObject({ contact_id: user, occurred_at: long + 500 });
    expect(lines.find((line) => line.type === 'SegmentCreated')).toMatchObject({
      contact_id: null,
    });
    expect(lines.filter((line) => line.type === 'VisitorRegistered')).toHaveLength(600);
  });

  it("leaves out another workspace's events, a deleted contact's, and the service's bookkeeping", async () => {
    const { lines } = await exportOf(service);
    const contacts = new Set(lines.map((line) => line.contact_id));
    expect(contacts.has(deleted)).toBe(false);
    expect(contacts.has(globexContact)).toBe(false);
    expect(lines.filter((line) => /^(identity|ingestion)-/.test(line.stream_id))).toEqual([]);
    const globex = await exportOf(service, '', GLOBEX_TOKEN);
    expect(globex.lines.map((line) => [line.type, line.contact_id])).toEqual([
      ['UserCreated', globexContact],
    ]);
  });

  it('selects by event time, log position and type', async () => {
    const all = (await exportOf(service)).lines;
    const early = await exportOf(service, `?from=${long}&to=${long + 99}`);
    // A sighting registers its visitor and records it seen: two events.
    expect(early.lines).toHaveLength(600);
    expect(early.lines.every((line) => line.occurred_at === long)).toBe(true);
    const late = await exportOf(service, `?from=${long + 100}&to=${long + 500}`);
    expect(late.lines.map((line) => line.type).sort()).toEqual([
      ...Array<string>(300).fill('ContactSeen'),
      'DataEventTracked',
      ...Array<string>(300).fill('VisitorRegistered'),
    ]);
    const middle = all.slice(2, 5);
    const byPosition = await exportOf(
      service,
      `?after_position=${all[1]!.position}&to_position=${all[4]!.position}`,
    );
    expect(byPosition.lines).toEqual(middle);
    const commaList = await exportOf(service, '?type=UserCreated,SegmentCreated');
    expect(commaList.lines.map((line) => line.type)).toEqual(['UserCreated', 'SegmentCreated']);
  });

  it.each([
    ['?from=yesterday', 'from'],
    ['?to=1.5', 'to'],
    [`?from=${long}&to=${long - 1}`, 'to'],
    ['?from=1&from=2', 'from'],
    ['?after_position=-1', 'after_position'],
    [`?to_position=${'9'.repeat(40)}`, 'to_position'],
    ['?type=UserCreated,NoSuchEvent', 'type'],
    ['?type=', 'type'],
    // As every query parameter of the API: one value, a list comma-separated.
    ['?type=UserCreated&type=SegmentCreated', 'type'],
    ['?as_of=1', 'as_of'],
  ])('refuses %s with a 400 naming %s', async (query, field) => {
    const { response, text } = await exportOf(service, query);
    expect(response.status).toBe(400);
    expect(JSON.parse(text)).toMatchObject({
      type: 'error.list',
      errors: [{ code: 'parameter_invalid', field }],
    });
  });

  it('takes an X-Min-Position the log has reached, and refuses one past its head as any read does', async () => {
    const head = BigInt((await exportOf(service)).response.headers.get('x-position')!);
    const reached = await service.request('/export/events', {
      headers: { 'x-min-position': String(head) },
    });
    expect(reached.status).toBe(200);
    await reached.text();
    const beyond = await service.request('/export/events', {
      headers: { 'x-min-position': String(head + 1000n) },
    });
    expect(beyond.status).toBe(400);
    expect(await beyond.json()).toMatchObject({
      errors: [{ code: 'parameter_invalid', field: 'X-Min-Position' }],
    });
  });

  it('answers 401 without a workspace token', async () => {
    const { response, text } = await exportOf(service, '', 'not-a-token');
    expect(response.status).toBe(401);
    expect(JSON.parse(text)).toMatchObject({ errors: [{ code: 'unauthorized' }] });
  });
});

describe('GET /export/events on EventStoreDB', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestAppOnStandIn();
  });
  afterAll(() => service.close());

  it("streams the workspace's events alone, in log order", async () => {
    const acme = [
      await created(service, { external_id: 'esdb-export-1' }),
      await created(service, { role: 'lead', email: 'esdb-export@example.com' }),
    ];
    const globex = await created(service, { external_id: 'esdb-export-2' }, GLOBEX_TOKEN);
    const { response, lines } = await exportOf(service);
    expect(response.status).toBe(200);
    expect(lines.map((line) => [line.type, line.contact_id])).toEqual([
      ['UserCreated', acme[0]],
      ['LeadCreated', acme[1]],
    ]);
    expect(BigInt(lines[1]!.position)).toBeGreaterThan(BigInt(lines[0]!.position));
    const byPosition = await exportOf(service, `?after_position=${lines[0]!.position}`);
    expect(byPosition.lines).toEqual([lines[1]]);
    expect(
      (await exportOf(service, '', GLOBEX_TOKEN)).lines.map((line) => line.contact_id),
    ).toEqual([globex]);
  });
});

describe('GET /export/events during a shutdown', () => {
  it('is cut, rather than holding the shutdown, when its client has stopped reading', async () => {
    const service = await startTestApp();
    // More than the socket's buffers hold, so the export waits for its reader.
    for (let batch = 0; batch < 8; batch += 1) {
      const ingested = await service.request('/messenger/events', {
        method: 'POST',
        json: {
          events: Array.from({ length: 500 }, (_, n) => ({
            id: `stalled-${batch}-${n}`,
            type: 'visitor.seen',
            occurred_at: 1_600_000_000,
            visitor_id: `stalled-${batch}-${n}`,
            context: { browser: 'x'.repeat(200) },
          })),
        },
      });
      expect(ingested.status).toBe(200);
    }
    const response = await service.request('/export/events');
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    expect((await reader.read()).done).toBe(false);

    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      service.close().then(() => 'closed'),
      new Promise((resolve) => (timer = setTimeout(() => resolve('still closing'), 10_000))),
    ]);
    clearTimeout(timer);
    expect(closed).toBe('closed');
    // The reader sees the answer end early: an error, never a clean end.
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return 'ended';
      })(),
    ).rejects.toThrow();
  });
});

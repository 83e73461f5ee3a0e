import { describeOnReadStores } from '../support/read-store-targets';
import { startTestAppOnStandIn, type TestApp } from '../support/test-app';

/**
 * The service on EventStoreDB (through the stand-in), whose log positions pack two 64-bit
 * numbers into one of 128 bits (`esdb-mapping.ts`). They used to break what assumed 64 bits: a
 * segment's history (a bigint column on PostgreSQL: the membership projection failed on the first
 * segment, and every write after it answered 503) and X-Min-Position (it refused every X-Position
 * the service gave out).
 */
describeOnReadStores('production mode: EventStoreDB positions', (dialect) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestAppOnStandIn(dialect);
  });
  afterAll(() => app.close());

  const json = async <T>(response: Response): Promise<T> => {
    const body = (await response.json()) as T;
    // The body too, when it is not a 200: a refusal says why.
    if (response.status !== 200) throw new Error(`${response.status}: ${JSON.stringify(body)}`);
    return body;
  };

  it('keeps segment history and read-your-writes positions past 64 bits', async () => {
    const segment = await json<{ id: string }>(
      await app.request('/segments', {
        method: 'POST',
        json: { name: 'Users', rule: { field: 'role', operator: '=', value: 'user' } },
      }),
    );
    const ids: string[] = [];
    for (const name of ['one', 'two', 'three']) {
      const created = await app.request('/contacts', {
        method: 'POST',
        json: { external_id: `production-${name}` },
      });
      const position = created.headers.get('x-position')!;
      // The case at hand: a position no 64-bit column or header check could take.
      expect(BigInt(position)).toBeGreaterThan(2n ** 64n);
      const contact = await json<{ id: string }>(created);
      ids.push(contact.id);
      await json(
        await app.request(`/contacts/${contact.id}`, { headers: { 'x-min-position': position } }),
      );
      const segments = await json<{ data: Array<{ id: string }> }>(
        await app.request(`/contacts/${contact.id}/segments`),
      );
      expect(segments.data.map((listed) => listed.id)).toEqual([segment.id]);
    }
    type Page = {
      data: Array<{ contact_id: string; change: string }>;
      pages: { next?: { starting_after: string } };
    };
    const first = await json<Page>(await app.request(`/segments/${segment.id}/history?per_page=2`));
    const second = await json<Page>(
      await app.request(
        `/segments/${segment.id}/history?per_page=2&starting_after=${first.pages.next!.starting_after}`,
      ),
    );
    expect([...first.data, ...second.data].map((row) => [row.contact_id, row.change])).toEqual(
      ids.map((id) => [id, 'entered']),
    );
    expect((await app.request('/health/ready')).status).toBe(200);
  });

  it("pages a contact's timeline, whose cursors hold positions past 64 bits", async () => {
    const contact = await json<{ id: string }>(
      await app.request('/contacts', {
        method: 'POST',
        json: { external_id: 'production-timeline' },
      }),
    );
    const names = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'];
    for (const name of names)
      await json(await app.request(`/contacts/${contact.id}`, { method: 'PUT', json: { name } }));
    type Page = {
      data: Array<{ id: string; position: string }>;
      pages: { next?: { starting_after: string } | null };
    };
    const ids: string[] = [];
    const cursorPositions: bigint[] = [];
    let path = `/contacts/${contact.id}/timeline?per_page=2`;
    for (let pages = 0; pages < 10; pages += 1) {
      const page = await json<Page>(await app.request(path));
      ids.push(...page.data.map((entry) => entry.id));
      const next = page.pages.next?.starting_after;
      if (next === undefined) break;
      cursorPositions.push(BigInt(page.data[page.data.length - 1]!.position));
      path = `/contacts/${contact.id}/timeline?per_page=2&starting_after=${next}`;
    }
    // The creation and the renames, each once, through cursors past 20 digits.
    expect(ids).toHaveLength(names.length + 1);
    expect(new Set(ids).size).toBe(names.length + 1);
    expect(cursorPositions.some((position) => position > 10n ** 20n)).toBe(true);
  });

  it('answers a messenger key sent again duplicate, also for another visitor (its record on EventStoreDB)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const item = (visitorId: string) => ({
      id: 'esdb-key-reused',
      type: 'conversation.started',
      occurred_at: now,
      visitor_id: visitorId,
    });
    const ingest = async (items: object[]) => {
      const response = await app.request('/messenger/events', {
        method: 'POST',
        json: { events: items },
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { results: Array<{ status: string; contact_id: string }> })
        .results;
    };
    const [first] = await ingest([item('esdb-visitor-first')]);
    expect(first!.status).toBe('accepted');
    const [again, other] = await ingest([item('esdb-visitor-first'), item('esdb-visitor-other')]);
    expect(again).toEqual({ ...first, status: 'duplicate' });
    expect(other).toEqual({ ...first, status: 'duplicate' });
    const visitor = await app.request('/visitors?user_id=esdb-visitor-other');
    expect(visitor.status).toBe(404);
  });

  it('admits back-to-back ingestion batches far below the lag bound', async () => {
    const now = Math.floor(Date.now() / 1000);
    const statuses: number[] = [];
    // The bound (INGESTION_MAX_LAG_EVENTS, 50,000 events) was taken off the packed position,
    // which moved only its low half: any projection short of the newest commit was "behind".
    for (let batch = 0; batch < 6; batch += 1) {
      const response = await app.request('/messenger/events', {
        method: 'POST',
        json: {
          events: Array.from({ length: 100 }, (_, index) => ({
            id: `burst-${batch}-${index}`,
            type: 'visitor.seen',
            occurred_at: now,
            visitor_id: `burst-visitor-${batch}-${index}`,
          })),
        },
      });
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
  });
});

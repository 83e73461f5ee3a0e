import { PassThrough } from 'node:stream';
import { rebuildProjection } from '../../src/cli/rebuild';
import { ADMIN_TOKEN, startTestAppOnStandIn, type TestApp } from '../support/test-app';

interface Write {
  readonly externalId: string;
  readonly status: number;
  readonly id?: string;
  readonly position: string | null;
}

/**
 * Writes in flight while projections rebuild and switch, on EventStoreDB (the stand-in). Reads
 * the service leaves early and subscriptions it closes cancel their calls, many a second; the
 * stand-in let Node's HTTP/2 server end the connection with GOAWAY once its client had reset about
 * 1,000 of them (a rapid-reset guard EventStoreDB does not have), failing every call in flight,
 * and the writes among them answered 503.
 */
describe('writes while projections rebuild, on EventStoreDB', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestAppOnStandIn();
  });
  afterAll(() => service.close());

  it('answers every write 2xx and keeps every write it accepted', async () => {
    let rebuilding = true;
    const writes: Write[] = [];
    // Each waits for its answer before the next, as read-your-writes clients do.
    const writers = Array.from({ length: 3 }, async (_, writer) => {
      for (let n = 0; rebuilding; n += 1) {
        const externalId = `rebuild-writer-${writer}-${n}`;
        const response = await service.request('/contacts', {
          method: 'POST',
          json: { external_id: externalId },
        });
        const { id } = (await response.json()) as { id?: string };
        writes.push({
          externalId,
          status: response.status,
          ...(id === undefined ? {} : { id }),
          position: response.headers.get('x-position'),
        });
      }
    });
    try {
      // The route the CLI calls, then the CLI following each rebuild to its switch.
      for (const name of ['contacts', 'segment_membership']) {
        await rebuildProjection({
          url: service.baseUrl,
          token: ADMIN_TOKEN,
          name,
          output: new PassThrough(),
          pollMs: 20,
        });
      }
    } finally {
      rebuilding = false;
      await Promise.all(writers);
    }

    expect(writes.filter((write) => write.status !== 200)).toEqual([]);
    expect(writes.length).toBeGreaterThan(0);
    for (const write of writes) {
      const read = await service.request(`/contacts/${write.id}`, {
        headers: { 'x-min-position': write.position! },
      });
      expect({ status: read.status, body: await read.json() }).toMatchObject({
        status: 200,
        body: { id: write.id, external_id: write.externalId },
      });
    }
    const listed = await service.request('/contacts?per_page=150');
    const { total_count: total } = (await listed.json()) as { total_count: number };
    expect(total).toBe(writes.length);
  }, 60_000);
});

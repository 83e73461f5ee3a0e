import { describeOnReadStores } from '../support/read-store-targets';
import { startTestApp, startTestAppOnPostgres, type TestApp } from '../support/test-app';

interface Segment {
  readonly id: string;
  readonly count?: number;
}

/**
 * A contact write (or a data event) answers once the segments reflect it, not only the contacts
 * read model: each read below comes right after the write's answer, without `X-Min-Position`.
 * Before, writes waited for the contacts read model alone, and on PostgreSQL about half of these
 * reads still showed the segments as they were.
 */
describeOnReadStores('segments read-your-writes', (dialect) => {
  let app: TestApp;
  beforeAll(async () => {
    app = dialect === 'postgres' ? await startTestAppOnPostgres() : await startTestApp();
  });
  afterAll(() => app.close());

  const json = async <T>(response: Response, status = 200): Promise<T> => {
    const body = (await response.json()) as T;
    expect({ status: response.status, body }).toMatchObject({ status });
    return body;
  };
  const write = async (path: string, method: string, body?: Record<string, unknown>) =>
    json<{ id: string }>(await app.request(path, { method, ...(body ? { json: body } : {}) }));
  const segmentsOf = async (id: string) =>
    (await json<{ data: Segment[] }>(await app.request(`/contacts/${id}/segments`))).data.map(
      (segment) => segment.id,
    );
  const countOf = async (segment: Segment) =>
    (
      await json<{ segments: Segment[] }>(await app.request('/segments?include_count=true'))
    ).segments.find((listed) => listed.id === segment.id)?.count;

  it('shows every contact write and data event in the segments of the next read', async () => {
    const named = await write('/segments', 'POST', {
      name: 'Named Ryw',
      rule: { field: 'name', operator: '^', value: 'Ryw' },
    });
    const buyers = await write('/segments', 'POST', {
      name: 'Ryw buyers',
      rule: { field: 'event', operator: 'has_done', value: 'ryw' },
    });
    for (let round = 0; round < 8; round += 1) {
      const contact = await write('/contacts', 'POST', { role: 'user', name: `Ryw ${round}` });
      expect(await segmentsOf(contact.id)).toContain(named.id);
      await write(`/contacts/${contact.id}`, 'PUT', { name: `Left ${round}` });
      expect(await segmentsOf(contact.id)).not.toContain(named.id);
      const tracked = await app.request('/events', {
        method: 'POST',
        json: { id: contact.id, event_name: 'ryw', created_at: Math.floor(Date.now() / 1000) },
      });
      expect(tracked.status).toBe(202);
      expect(await segmentsOf(contact.id)).toContain(buyers.id);
      await write(`/contacts/${contact.id}`, 'PUT', { name: `Ryw again ${round}` });
      expect(await countOf(named)).toBe(1);
      await write(`/contacts/${contact.id}`, 'DELETE');
      expect(await countOf(named)).toBe(0);
      expect(await countOf(buyers)).toBe(0);
    }
  });
});

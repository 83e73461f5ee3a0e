import type { TestApp } from './test-app';

/** An item's result in a `POST /messenger/events` answer, as the e2e specs read it. */
export interface IngestionResultJson {
  id: string | null;
  status: 'accepted' | 'duplicate' | 'rejected';
  contact_id?: string;
  errors?: Array<{ code: string; message: string; field?: string }>;
}

/** `POST /messenger/events` with `events`: the answer must be a result per item. */
export async function ingestBatch(app: TestApp, events: unknown[]): Promise<IngestionResultJson[]> {
  const response = await app.request('/messenger/events', { method: 'POST', json: { events } });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { type: string; results: IngestionResultJson[] };
  expect(body.type).toBe('ingestion.result');
  expect(body.results).toHaveLength(events.length);
  return body.results;
}

/** Every event in the store. */
export async function eventCountOf(store: { readAll(): AsyncIterable<unknown> }): Promise<number> {
  let count = 0;
  for await (const _event of store.readAll()) count += 1;
  return count;
}

import { startTestApp, type TestApp } from '../support/test-app';

interface ProjectionJson {
  name: string;
  version: number | null;
  build: string | null;
  state: string;
  checkpoint: string;
  head_position: string;
  lag_positions: string;
  rebuild: { version: number; state: string } | null;
}

async function projections(service: TestApp): Promise<ProjectionJson[]> {
  const response = await service.request('/admin/projections');
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: ProjectionJson[] }).data;
}

describe('projection operations over HTTP', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestApp();
  });
  afterAll(() => service.close());

  it('reports every projection with its checkpoint and lag, and rebuilds one without downtime', async () => {
    const created = (await (
      await service.request('/contacts', {
        method: 'POST',
        json: { external_id: 'rebuild-me', name: 'Before' },
      })
    ).json()) as { id: string };

    const before = await projections(service);
    const contacts = before.find((projection) => projection.name === 'contacts')!;
    expect(contacts).toMatchObject({ state: 'live', lag_positions: '0', rebuild: null });
    expect(BigInt(contacts.checkpoint)).toBeGreaterThan(0n);
    expect(contacts.head_position).toBe(before[0]!.head_position);

    const rebuild = await service.request('/admin/projections/contacts/rebuild', {
      method: 'POST',
    });
    expect(rebuild.status).toBe(202);
    expect(await rebuild.json()).toEqual({
      type: 'projection.rebuild',
      name: 'contacts',
      state: 'started',
    });
    // The current build keeps serving while the new one fills.
    expect((await service.request(`/contacts/${created.id}`)).status).toBe(200);

    const deadline = Date.now() + 15_000;
    let after: ProjectionJson | undefined;
    do {
      after = (await projections(service)).find((projection) => projection.name === 'contacts');
      if (after?.rebuild === null && after.state === 'live' && after.build !== contacts.build)
        break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } while (Date.now() < deadline);
    expect(after).toMatchObject({ state: 'live', rebuild: null, lag_positions: '0' });
    // A fresh build now serves.
    expect(after?.build).not.toBe(contacts.build);
    expect(after?.build).toEqual(expect.any(String));
    const read = await service.request(`/contacts/${created.id}`);
    expect(((await read.json()) as { name: string }).name).toBe('Before');

    const unknown = await service.request('/admin/projections/nope/rebuild', { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ errors: [{ code: 'not_found', field: 'name' }] });
  });
});

import {
  ACME_TOKEN,
  ADMIN_TOKEN,
  GLOBEX_TOKEN,
  startTestApp,
  type TestApp,
} from '../support/test-app';

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
  const response = await service.request('/admin/projections', { token: ADMIN_TOKEN });
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: ProjectionJson[] }).data;
}

describe('projection operations over HTTP', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestApp();
  });
  afterAll(() => service.close());

  /** The projection once a rebuild has switched to a build other than `previous`. */
  async function rebuilt(name: string, previous: string | null): Promise<ProjectionJson> {
    const deadline = Date.now() + 15_000;
    let after: ProjectionJson | undefined;
    do {
      after = (await projections(service)).find((projection) => projection.name === name);
      if (after?.rebuild === null && after.state === 'live' && after.build !== previous) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } while (Date.now() < deadline);
    return after!;
  }

  const create = async (body: object) =>
    (
      (await (await service.request('/contacts', { method: 'POST', json: body })).json()) as {
        id: string;
      }
    ).id;

  it('rebuilds the merge process manager over a merge whose user was deleted since', async () => {
    const user = await create({ external_id: 'merged-then-deleted' });
    const lead = await create({ role: 'lead', name: 'Absorbed' });
    const merged = await service.request('/contacts/merge', {
      method: 'POST',
      json: { from: lead, into: user },
    });
    expect(merged.status).toBe(200);
    expect((await service.request(`/contacts/${user}`, { method: 'DELETE' })).status).toBe(200);
    const before = (await projections(service)).find((p) => p.name === 'merge_completion')!;
    const started = await service.request('/admin/projections/merge_completion/rebuild', {
      method: 'POST',
      token: ADMIN_TOKEN,
    });
    expect(started.status).toBe(202);
    // It replays the merge against a user that is gone: done, not a failure.
    expect(await rebuilt('merge_completion', before.build)).toMatchObject({
      state: 'live',
      rebuild: null,
      lag_positions: '0',
    });
    expect((await service.request('/health/ready')).status).toBe(200);
  });

  it('rebuilds the merge process manager without appending: a replayed merge claims no email freed since', async () => {
    const user = await create({ external_id: 'u-e2' });
    const holder = await create({ email: 'shared-e2@x.test' });
    const lead = await create({ role: 'lead', email: 'shared-e2@x.test' });
    const merged = await service.request('/contacts/merge', {
      method: 'POST',
      json: { from: lead, into: user },
    });
    expect(merged.status).toBe(200);
    expect(((await merged.json()) as { email: string | null }).email).toBeNull();
    const changed = await service.request(`/contacts/${holder}`, {
      method: 'PUT',
      json: { email: 'other-e2@x.test' },
    });
    expect(changed.status).toBe(200);
    const before = (await projections(service)).find((p) => p.name === 'merge_completion')!;

    const started = await service.request('/admin/projections/merge_completion/rebuild', {
      method: 'POST',
      token: ADMIN_TOKEN,
    });
    expect(started.status).toBe(202);
    const after = await rebuilt('merge_completion', before.build);

    expect(after).toMatchObject({ state: 'live', rebuild: null });
    expect(after.head_position).toBe(before.head_position);
    const claimed = await service.request('/contacts', {
      method: 'POST',
      json: { email: 'shared-e2@x.test' },
    });
    expect(claimed.status).toBe(200);
  });

  it('reports every projection with its checkpoint and lag, and rebuilds one without downtime', async () => {
    const created = (await (
      await service.request('/contacts', {
        method: 'POST',
        json: { external_id: 'rebuild-me', name: 'Before' },
      })
    ).json()) as { id: string };

    const before = await projections(service);
    const contacts = before.find((projection) => projection.name === 'contacts')!;
    expect(contacts).toMatchObject({
      state: 'live',
      lag_positions: '0',
      lag_events: '0',
      rebuild: null,
    });
    expect(BigInt(contacts.checkpoint)).toBeGreaterThan(0n);
    expect(contacts.head_position).toBe(before[0]!.head_position);

    const rebuild = await service.request('/admin/projections/contacts/rebuild', {
      method: 'POST',
      token: ADMIN_TOKEN,
    });
    expect(rebuild.status).toBe(202);
    expect(await rebuild.json()).toEqual({
      type: 'projection.rebuild',
      name: 'contacts',
      state: 'started',
    });
    // The current build keeps serving while the new one fills.
    expect((await service.request(`/contacts/${created.id}`)).status).toBe(200);

    const after = await rebuilt('contacts', contacts.build);
    expect(after).toMatchObject({ state: 'live', rebuild: null, lag_positions: '0' });
    // A fresh build now serves.
    expect(after?.build).not.toBe(contacts.build);
    expect(after?.build).toEqual(expect.any(String));
    const read = await service.request(`/contacts/${created.id}`);
    expect(((await read.json()) as { name: string }).name).toBe('Before');

    const unknown = await service.request('/admin/projections/nope/rebuild', {
      method: 'POST',
      token: ADMIN_TOKEN,
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ errors: [{ code: 'not_found', field: 'name' }] });
    const withField = await service.request('/admin/projections/contacts/rebuild', {
      method: 'POST',
      token: ADMIN_TOKEN,
      json: { from_position: 0 },
    });
    expect(withField.status).toBe(400);
    expect(await withField.json()).toMatchObject({ errors: [{ field: 'from_position' }] });
    const status = (await projections(service)).find((p) => p.name === 'contacts');
    expect(status?.rebuild).toBeNull();
  });

  it('serves Prometheus metrics without a token: the process, the log head, each projection', async () => {
    const created = await service.request('/contacts', {
      method: 'POST',
      json: { external_id: 'metrics-1' },
    });
    const position = Number(created.headers.get('x-position'));
    const response = await fetch(`${service.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toMatch(/^event_log_reachable 1$/m);
    const head = Number(/^event_log_head_position (\d+)$/m.exec(text)?.[1]);
    expect(head).toBeGreaterThanOrEqual(position);
    expect(text).toMatch(/^projection_lag_events\{projection="contacts"\} \d+$/m);
    expect(text).toContain('projection_state{projection="contacts",state="live"} 1');
  });

  it('refuses the operations routes to workspace tokens (403) and to unknown ones (401), without starting anything', async () => {
    const before = await projections(service);
    for (const token of [ACME_TOKEN, GLOBEX_TOKEN]) {
      const status = await service.request('/admin/projections', { token });
      expect(status.status).toBe(403);
      expect(await status.json()).toMatchObject({
        type: 'error.list',
        errors: [{ code: 'forbidden', message: 'Operations routes need a token of ADMIN_TOKENS' }],
      });
      const rebuild = await service.request('/admin/projections/contacts/rebuild', {
        method: 'POST',
        token,
      });
      expect(rebuild.status).toBe(403);
    }
    const unknown = await service.request('/admin/projections', { token: 'no-such-token-0001' });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ errors: [{ code: 'unauthorized' }] });
    // The admin token opens no workspace.
    expect((await service.request('/contacts', { token: ADMIN_TOKEN })).status).toBe(401);
    const after = await projections(service);
    expect(
      after.map((projection) => [projection.name, projection.build, projection.rebuild]),
    ).toEqual(before.map((projection) => [projection.name, projection.build, null]));
  });
});

describe('the operations routes without ADMIN_TOKENS', () => {
  it('accept the token of the only workspace', async () => {
    const single = await startTestApp({ ACCESS_TOKENS: `acme:${ACME_TOKEN}`, ADMIN_TOKENS: '' });
    try {
      expect((await single.request('/admin/projections', { token: ACME_TOKEN })).status).toBe(200);
    } finally {
      await single.close();
    }
  });

  it('accept no workspace token when there are several, and say what to set', async () => {
    const shared = await startTestApp({ ADMIN_TOKENS: '' });
    try {
      const response = await shared.request('/admin/projections', { token: ACME_TOKEN });
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({
        errors: [{ code: 'forbidden', message: expect.stringContaining('set ADMIN_TOKENS') }],
      });
    } finally {
      await shared.close();
    }
  });

  it('refuse to start with an admin token that is also a workspace token', async () => {
    await expect(
      startTestApp({ ADMIN_TOKENS: `other-token-0001,${GLOBEX_TOKEN}` }),
    ).rejects.toThrow('ADMIN_TOKENS: a token is also a workspace token');
  });
});
